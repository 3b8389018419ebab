"""Name -> dataset registry: ``tfdisent.data.get(name, **options)``.

Modules that define datasets register them with ``@register("name")``; the
registry imports those modules lazily, so importing tfdisent stays cheap.
"""

import importlib

import gin

_FACTORIES = {}
# Modules whose import registers datasets.
_DATASET_MODULES = (
    "tfdisent.data.procedural.sprites",
    "tfdisent.data.procedural.shapes3d",
    "tfdisent.data.procedural.synthetic",
    "tfdisent.data.procedural.correlation",
    "tfdisent.data.procedural.variants",
    "tfdisent.data.files.dsprites",
    "tfdisent.data.files.shapes3d",
    "tfdisent.data.files.smallnorb",
    "tfdisent.data.files.cars3d",
    "tfdisent.data.files.mpi3d",
    "tfdisent.data.files.tfds_prepared",
)
_loaded = False


class UnknownDatasetError(ValueError):
    pass


def register(name):
    """Decorator: registers a factory (class or function) under `name`."""
    def wrap(factory):
        _FACTORIES[name] = factory
        return factory
    return wrap


def _load_all():
    global _loaded
    if not _loaded:
        for module in _DATASET_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as e:
                if e.name != module:  # a real import error inside the module
                    raise
        _loaded = True


def names():
    _load_all()
    return sorted(_FACTORIES)


def get(name, **options):
    """Builds the dataset registered as `name` with keyword `options`."""
    _load_all()
    if name not in _FACTORIES:
        raise UnknownDatasetError("unknown dataset %r; known datasets: %s"
                                                            % (name, ", ".join(names())))
    return _FACTORIES[name](**options)


@gin.configurable("dataset")
def get_configured(name="sprites", options=None):
    """The gin entry point: ``dataset.name = "sprites"``."""
    return get(name, **(options or {}))
