"""Parsing gin configs the way every binary does.

A config is a path, or a name inside the bundled configs ("beta_vae.gin",
"metrics/mig.gin", also spelled "gin_configs/beta_vae.gin"): a file that
exists is used as given, otherwise the name resolves against the configs
shipped in the package (installed) or the checkout's gin_configs/.
"""

import logging
import os

import gin

PACKAGE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = "gin_configs"


def config_roots():
    """Where bundled configs are looked up: the installed package's copy,
    then the checkout's top-level gin_configs/."""
    return [os.path.join(PACKAGE, CONFIG_DIR),
            os.path.join(os.path.dirname(PACKAGE), CONFIG_DIR)]


def resolve(name):
    """The path of config `name`; one clear error naming where it looked."""
    if os.path.isfile(name):
        return name
    relative = name[len(CONFIG_DIR) + 1:] if name.startswith(CONFIG_DIR + "/") else name
    roots = [r for r in config_roots() if os.path.isdir(r)]
    for root in roots:
        path = os.path.join(root, relative)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("gin config %s not found (looked in %s%s)" % (
        name, os.path.abspath(os.path.dirname(name) or "."),
        "".join(" and %s" % r for r in roots)))


def parse(config_files, bindings):
    """Parses gin config files and bindings; `include` statements resolve
    next to the files given (gin's failed lookups elsewhere are not logged)."""
    paths = [resolve(name) for name in config_files]
    for path in paths:
        gin.add_config_file_search_path(os.path.dirname(os.path.abspath(path)))
    quiet = _DropMessages("Path not found")
    logging.getLogger().addFilter(quiet)
    try:
        gin.parse_config_files_and_bindings(paths, list(bindings))
    finally:
        logging.getLogger().removeFilter(quiet)


class _DropMessages(logging.Filter):
    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def filter(self, record):
        return not record.getMessage().startswith(self.prefix)
