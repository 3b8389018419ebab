"""gin registration for Keras classes.

gin wraps ``__init__`` in a ``(*args, **kwargs)`` function; Keras inspects
``__init__``'s argument list when a layer is created. Restoring the original
signature on the wrapper satisfies both.
"""

import inspect

import gin


def configurable(name, **gin_kwargs):
    """Like ``gin.configurable(name)`` but safe for Keras layers and models."""
    def wrap(cls):
        signature = inspect.signature(cls.__init__)
        cls = gin.configurable(name, **gin_kwargs)(cls)
        cls.__init__.__signature__ = signature
        return cls
    return wrap
