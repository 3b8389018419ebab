"""Run as a script: CFASL, MIPE and DEFT models train a few steps under a
MirroredStrategy over two logical CPUs; prints their final losses as JSON."""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tfdisent.data import pipelines, registry  # noqa: E402
from tfdisent.models import regularizers  # noqa: E402
from tfdisent.models.cfasl import CFASL  # noqa: E402
from tfdisent.models.deft import DEFT, ExponentialBeta  # noqa: E402
from tfdisent.models.mipe import MIPE  # noqa: E402
from tfdisent.models.vae import VAE  # noqa: E402
from tfdisent.nets import cnn4, deft, dlib  # noqa: E402
from tfdisent import optimizers  # noqa: E402

SHAPE = (64, 64, 1)


def models():
    yield "cfasl", lambda: VAE(SHAPE, regularizer=regularizers.BetaTCVAE(6.0), extensions=[CFASL()],
                               encoder=cnn4.cnn4_encoder(SHAPE, 4), decoder=cnn4.cnn4_decoder(4, SHAPE),
                               clip_global_norm=1.0)
    yield "mipe", lambda: VAE(SHAPE, regularizer=regularizers.BetaVAE(1.0), extensions=[MIPE()],
                              encoder=cnn4.cnn4_encoder(SHAPE, 4), decoder=cnn4.cnn4_decoder(4, SHAPE),
                              clip_global_norm=1.0)
    yield "deft", lambda: VAE(SHAPE, regularizer=DEFT(ExponentialBeta(total_steps=40, thresholds=(1,))),
                              encoder=deft.deft_encoder(SHAPE, 4, num_groups=2),
                              decoder=dlib.deconv_decoder(4, SHAPE))


strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
data = registry.get("sprites")
losses = {}
for name, build in models():
    with strategy.scope():
        model = build()
        model.build_for(SHAPE)
        model.compile(optimizer=optimizers.make_optimizer(learning_rate=1e-3))
        model.build_optimizers()
    history = model.fit(pipelines.image_batches(data, 16, seed=0), epochs=1,
                        steps_per_epoch=4, verbose=0).history
    losses[name] = [float(v) for v in history["loss"]]
print(json.dumps(losses))
