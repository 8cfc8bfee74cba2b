"""The mode of a module-level model of another project file read through an import (``modes/imported_globals``):
the mode that file's module-level code leaves it in, when none of its functions sets the mode, loads into it or
rebinds it."""
from __future__ import annotations

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.source import read_source

REGISTRY = '''import torch.nn as nn

MODELS = {{
    "small": nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8)),
    "large": nn.Sequential(nn.Linear(4, 16, bias=False), nn.BatchNorm1d(16)),
}}
{after}'''
SCRIPT = '''import torch

from registry import MODELS


def predict(name, x):
    model = MODELS[{key}]
    with torch.no_grad():
        return model(x).argmax(1)
'''


def _findings(tmp_path, after: str = "", key: str = '"small"') -> list[tuple[str, int]]:
    (tmp_path / "registry.py").write_text(REGISTRY.format(after=after))
    script = tmp_path / "predict.py"
    script.write_text(SCRIPT.format(key=key))
    result = Checker(Settings(select=("BN101",))).check_source(str(script), read_source(str(script)))
    assert not result.errors
    return [(f.code, f.line) for f in result.findings]


@pytest.mark.parametrize("key", ['"small"', "name"])
def test_a_model_built_at_import_in_another_file_is_in_training_mode(tmp_path, key):
    """An entry by its key, or by a variable (any entry: every one of them built in training mode)."""
    assert _findings(tmp_path, key=key) == [("BN101", 9)]


@pytest.mark.parametrize("after", [
    'MODELS["small"].eval()\nMODELS["large"].eval()\n',  # (put in eval by the module's own code)
    '\n\ndef prepare():\n    for model in MODELS.values():\n        model.eval()\n',  # (a function of it sets modes)
])
def test_a_model_its_file_puts_in_eval_or_may_change_is_not_taken_in_training_mode(tmp_path, after):
    assert _findings(tmp_path, after=after) == []
