"""Small models and data for model tests."""

import numpy as np
import tensorflow as tf

from tfdisent import optimizers
from tfdisent.models.vae import VAE
from tfdisent.nets import dlib


def blobs(n=32, size=16, seed=0):
    """Binary images of a square at random positions: [n, size, size, 1]."""
    rs = np.random.RandomState(seed)
    images = np.zeros((n, size, size, 1), np.float32)
    for i, (x, y) in enumerate(rs.randint(0, size - 4, size=(n, 2))):
        images[i, y:y + 4, x:x + 4] = 1.0
    return tf.constant(images)


def small_vae(regularizer=None, extensions=(), shape=(16, 16, 1), num_latent=4,
              learning_rate=1e-3, deterministic=False, **kwargs):
    encoder_fn = dlib.fc_encoder
    if deterministic:
        def encoder_fn(input_shape, k):
            full = dlib.fc_encoder(input_shape, k)
            return tf.keras.Model(full.input, {"mean": full.output["mean"]})
    model = VAE(shape, regularizer=regularizer, extensions=extensions,
                encoder=encoder_fn(shape, num_latent),
                decoder=dlib.fc_decoder(num_latent, shape), **kwargs)
    model.build_for(shape)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=learning_rate))
    model.build_optimizers()
    return model


def fit_steps(model, x, steps):
    data = tf.data.Dataset.from_tensors(x).repeat()
    before = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    after = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    return before, after
