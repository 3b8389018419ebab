"""Studies: a paper's table as data (runs, metrics, columns, selection).

``tfdisent.studies.get("cfasl")`` returns a Study; ``names()`` lists the
built-in ones. A dotted module path ("mylab.studies.ablation") names a study
of your own: a module with a ``STUDY`` attribute. bin/study lists, runs and
reports them (see docs/studies.md).
"""

import importlib

# --study name -> module defining STUDY.
_MODULES = {
    "cpu_sanity": "tfdisent.studies.cpu_sanity",
    "cpu_evidence": "tfdisent.studies.cpu_evidence",
    "unsupervised_study_v1": "tfdisent.studies.unsupervised_study_v1",
    "cfasl": "tfdisent.studies.cfasl",
    "mipe": "tfdisent.studies.mipe",
    "qlae": "tfdisent.studies.qlae",
    "deft": "tfdisent.studies.deft",
    "abstract_reasoning": "tfdisent.studies.abstract_reasoning",
    "weakly_supervised": "tfdisent.studies.weakly_supervised",
    "weakly_supervised_cpu": "tfdisent.studies.weakly_supervised_cpu",
    "semi_supervised": "tfdisent.studies.semi_supervised",
    "semi_supervised_cpu": "tfdisent.studies.semi_supervised_cpu",
}


def names():
    return sorted(_MODULES)


def get(name):
    if name in _MODULES:
        return importlib.import_module(_MODULES[name]).STUDY
    if "." not in name:
        raise ValueError("unknown study %r; studies: %s (or a module path with a "
                         "STUDY attribute)" % (name, ", ".join(names())))
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        raise ValueError("study module %s not found (%s)" % (name, e)) from None
    if not hasattr(module, "STUDY"):
        raise ValueError("study module %s has no STUDY attribute" % name)
    return module.STUDY
