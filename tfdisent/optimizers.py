"""gin-configurable optimizers with disentanglement_lib's defaults."""

import gin
import keras


@gin.configurable("optimizer")
def make_optimizer(name="adam", learning_rate=1e-4, beta_1=0.9, beta_2=0.999,
                   epsilon=1e-8, weight_decay=None, clipvalue=None):
    """Adam (default) or AdamW (``name="adamw"``, decoupled weight decay)."""
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2,
                                     epsilon=epsilon, clipvalue=clipvalue)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay or 0.0,
                                      beta_1=beta_1, beta_2=beta_2,
                                      epsilon=epsilon, clipvalue=clipvalue)
    raise ValueError("unknown optimizer %r (use 'adam' or 'adamw')" % (name,))


def like(optimizer, learning_rate):
    """A fresh optimizer of the same kind and settings with another rate."""
    config = dict(optimizer.get_config(), learning_rate=learning_rate)
    config.pop("name", None)
    return type(optimizer).from_config(config)
