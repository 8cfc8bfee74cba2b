"""The shared evaluators follow names, bindings and classes however far the code goes: a cycle ends the
walk (its value is unknown), a depth does not (the one-engine issue's "summaries, not depth limits")."""
from __future__ import annotations

import textwrap

import libcst as cst

from bn_lint.parsing import parse_module
from bn_lint.semantic.file.model import FileModel
from bn_lint.semantic.syntax.constants import UNKNOWN, evaluate


def _model(code: str) -> FileModel:
    text = textwrap.dedent(code)
    return FileModel("x.py", text, parse_module(text))


def _last_value(model: FileModel):
    statement = model.module.body[-1].body[0]
    return evaluate(statement.value, model, model.module_scope)


def test_a_constant_thirty_names_away_is_known():
    code = "C0 = 64\n" + "".join(f"C{i} = C{i - 1}\n" for i in range(1, 31)) + "out = C30\n"
    assert _last_value(_model(code)) == 64


def test_a_name_whose_value_needs_its_own_is_unknown():
    assert _last_value(_model("x = x + 1\nout = x\n")) is UNKNOWN
    assert _last_value(_model("a = b + 1\nb = a + 1\nout = a\n")) is UNKNOWN


def test_each_binding_is_worked_out_once():
    """``C{i} = C{i-1} + C{i-1}``: followed twice per level, 2**40 walks without the per-file memo."""
    code = "C0 = 1\n" + "".join(f"C{i} = C{i - 1} + C{i - 1}\n" for i in range(1, 41)) + "out = C40\n"
    assert _last_value(_model(code)) == 2 ** 40
