"""disentanglement_lib's results scheme: one record per pipeline step.

A step named ``step`` writes into ``RESULT_DIR``::

    gin/{step}.gin              the operative gin config of the step
    json/{step}_config.json     every ``key = value`` binding of that config,
                                values kept as gin text ("'sprites'", "@vae()")
    json/{step}_results.json    the step's results (numpy values made plain)
    aggregate/{step}.json       every json/*.json flattened into one object
                                with namespaced keys "<file stem>.<key>"

and first copies the previous step's results tree, so the aggregate of the
last step carries the whole history (train -> evaluation).
"""

import json
import os
import shutil
import uuid

import gin
import numpy as np


def update_result_directory(result_dir, step_name, results_dict,
                            old_result_dir=None, operative_gin=None):
    """Records one step in `result_dir`; returns the aggregate dict written.

    Args:
      result_dir: the results directory (created if missing).
      step_name: "train", "evaluation", ...
      results_dict: the step's results; a "uuid" entry is added to a copy.
      old_result_dir: a previous step's results directory to copy first.
      operative_gin: gin config text; defaults to `gin.operative_config_str()`.
    """
    if old_result_dir is not None:
        if not os.path.isdir(old_result_dir):
            raise FileNotFoundError("no results directory at %s" % old_result_dir)
        shutil.copytree(old_result_dir, result_dir, dirs_exist_ok=True)
    if operative_gin is None:
        operative_gin = gin.operative_config_str()
    results = dict(results_dict, uuid=str(uuid.uuid4()))

    gin_path = os.path.join(result_dir, "gin", "%s.gin" % step_name)
    _write_text(gin_path, operative_gin)
    json_dir = os.path.join(result_dir, "json")
    save_json(gin_config_to_dict(operative_gin),
              os.path.join(json_dir, "%s_config.json" % step_name))
    save_json(results, os.path.join(json_dir, "%s_results.json" % step_name))

    aggregate = aggregate_json_directory(json_dir)
    save_json(aggregate, os.path.join(result_dir, "aggregate", "%s.json" % step_name))
    return aggregate


def gin_config_to_dict(gin_text):
    """Maps each binding of a gin config text to its value text.

    Comment, import and include lines are skipped; a value that gin wrapped
    over several lines ("key = \\" then indented lines) is joined into one line.
    """
    bindings = {}
    key = None
    for line in gin_text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0].isspace() and key is not None:
            bindings[key] = _join(bindings[key], stripped)
        elif "=" in stripped and not stripped.startswith(("import ", "include ")):
            key, value = (part.strip() for part in stripped.split("=", 1))
            bindings[key] = "" if value == "\\" else value
        else:
            key = None
    return bindings


def _join(head, tail):
    return "%s %s" % (head, tail) if head else tail


def aggregate_json_directory(json_dir):
    """Flattens every json/*.json into {"<file stem>.<key>": value}."""
    flat = {}
    for filename in sorted(os.listdir(json_dir)):
        stem, extension = os.path.splitext(filename)
        if extension != ".json":
            continue
        for key, value in load_json(os.path.join(json_dir, filename)).items():
            flat["%s.%s" % (stem, key)] = value
    return flat


def load_aggregate(path):
    """Reads an aggregate/{step}.json file (or a results directory's
    aggregate/evaluation.json when `path` is a directory)."""
    if os.path.isdir(path):
        path = os.path.join(path, "aggregate", "evaluation.json")
    return load_json(path)


def load_json(path):
    if not os.path.isfile(path):
        raise FileNotFoundError("no JSON results file at %s" % path)
    with open(path) as f:
        return json.load(f)


def save_json(obj, path):
    """Writes `obj` as indented JSON; numpy scalars and arrays become plain
    numbers and lists, non-finite floats are written as NaN/Infinity."""
    _write_text(path, json.dumps(to_plain(obj), indent=2, sort_keys=True))


def to_plain(obj):
    """Recursively converts numpy values (and tuples) to JSON-ready python."""
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_plain(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj)
    return obj


def _write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
