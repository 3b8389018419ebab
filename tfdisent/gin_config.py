"""Parsing gin configs the way every binary does."""

import logging
import os

import gin


def parse(config_files, bindings):
    """Parses gin config files and bindings; `include` statements resolve
    next to the files given (gin's failed lookups elsewhere are not logged)."""
    for path in config_files:
        gin.add_config_file_search_path(os.path.dirname(os.path.abspath(path)))
    quiet = _DropMessages("Path not found")
    logging.getLogger().addFilter(quiet)
    try:
        gin.parse_config_files_and_bindings(list(config_files), list(bindings))
    finally:
        logging.getLogger().removeFilter(quiet)


class _DropMessages(logging.Filter):
    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def filter(self, record):
        return not record.getMessage().startswith(self.prefix)
