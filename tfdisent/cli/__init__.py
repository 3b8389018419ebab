"""absl entry points behind bin/<command> and the tfdisent-<command> scripts."""
