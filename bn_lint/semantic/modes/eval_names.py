"""Function names that say evaluation (``validate``, ``run_eval``, ``test_epoch``)."""
from __future__ import annotations

import re
from typing import Iterable


# Function names that say "evaluation": a strong word anywhere (`run_eval`, `test_epoch`); a weak word
# (also used for input checks: `validate_kwargs`, `infer_dtype`) only alone or with a loop-ish suffix.
_EVAL_WORDS = frozenset({"eval", "evaluate", "evaluation", "evaluator", "val", "test", "testing", "predict",
                         "prediction", "inference", "benchmark", "accuracy"})
_WEAK_EVAL_WORDS = frozenset({"valid", "validate", "validation", "infer"})
_LOOP_SUFFIXES = frozenset({"", "epoch", "one_epoch", "step", "loop", "model", "net", "fn", "batch", "one_batch",
                            "loss"})


def eval_named(name: str) -> bool:
    """``validate``, ``run_eval``, ``test_epoch``: a function name that says evaluation (``EVAL_NAME``)."""
    words = name.lower().strip("_").split("_")
    if words[0] in ("is", "has"):
        return False  # a predicate: `is_valid_image`
    if set(words) & _EVAL_WORDS:
        return True
    if words[0] in ("run", "do"):
        words = words[1:]
    return bool(words) and words[0] in _WEAK_EVAL_WORDS and "_".join(words[1:]) in _LOOP_SUFFIXES


def _alternatives(words: Iterable[str]) -> str:
    return "(?i:" + "|".join(sorted(words, key=lambda w: (-len(w), w))) + ")"


# The identifiers ``eval_named`` accepts, as a regular expression (for the pre-filter's triggers).
EVAL_NAME = (
    rf"(?:_*(?!(?i:is|has)_)(?:\w*_)?{_alternatives(_EVAL_WORDS)}(?:_\w*)?"
    rf"|_*(?:(?i:run|do)_)?{_alternatives(_WEAK_EVAL_WORDS)}(?:_{_alternatives(_LOOP_SUFFIXES - {''})})?_*)(?!\w)"
)


# Class names that say their methods evaluate a model: ``Test`` (a test-epoch runner beside ``Train``), ``Tester``,
# ``SegEvaluator``, ``Validator``, ``Predictor``; not pytest's ``TestModel`` nor a ``unittest.TestCase``'s name
EVAL_CLASS_NAME = r"(?:Test|\w*(?:Tester|Evaluator|Validator|Predictor|Inferencer))(?!\w)"


def eval_class_named(name: str) -> bool:
    """``Test``, ``Tester``, ``ModelEvaluator``: a class whose methods run a model for evaluation."""
    return re.fullmatch(EVAL_CLASS_NAME, name) is not None


def evaluator_class(info, code) -> bool:
    """Whether class ``info`` (``code`` gives an expression's text) is named for evaluation and is not a
    ``unittest.TestCase``: its methods that run a model evaluate it."""
    return info is not None and eval_class_named(info.name) and not any("TestCase" in code(base) for base in info.bases)
