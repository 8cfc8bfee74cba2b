"""Batch statistics by design (RULES.md, Evidence: deliberate choices).

A file whose every BatchNorm normalises with the current batch in both modes
(``momentum=1``: the running averages are the last batch's, as transductive MAML
relies on; ``track_running_stats=False``: no running averages at all) gains
nothing from ``.eval()``: the mode rules do not report its evaluations.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_BN_CALL = re.compile(r"BatchNorm[123]?d?\s*\(((?:[^()]|\([^()]*\))*)\)")
# (`momentum=1` as the whole value: not `momentum=1 - bn_decay`, a Keras decay converted)
_BATCH_ONLY = re.compile(r"momentum\s*=\s*1(?:\.0*)?\s*(?:[,)#]|$)|track_running_stats\s*=\s*False", re.M)


def batch_statistics_by_design(model: "FileModel") -> bool:
    """Whether the file builds BatchNorm layers and every one has ``momentum=1`` or
    ``track_running_stats=False``."""
    calls = _BN_CALL.findall(model.source)
    return bool(calls) and all(_BATCH_ONLY.search(arguments) for arguments in calls)
