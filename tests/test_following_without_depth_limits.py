"""The shared evaluators follow names, bindings and classes however far the code goes: a cycle ends the
walk (its value is unknown), a depth does not (the one-engine issue's "summaries, not depth limits")."""
from __future__ import annotations

import textwrap

from bn_lint.parsing import parse_module
from bn_lint.semantic.evaluators.int_typed import int_typed
from bn_lint.semantic.file.classes import inherited_method
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


def test_an_int_twenty_names_away_is_known():
    code = "n0 = len(items)\n" + "".join(f"n{i} = n{i - 1}\n" for i in range(1, 21)) + "out = n20\n"
    model = _model(code)
    assert int_typed(model, model.module.body[-1].body[0].value, model.module_scope)
    assert not int_typed(*_last(_model("n = n + 1\nout = n\n")))


def _last(model: FileModel):
    return model, model.module.body[-1].body[0].value, model.module_scope


def test_a_module_class_fifteen_bases_down_is_a_module():
    code = "import torch.nn as nn\n\nclass A0(nn.Module):\n    pass\n" + "".join(
        f"\nclass A{i}(A{i - 1}):\n    pass\n" for i in range(1, 16))
    model = _model(code)
    assert model.is_nn_module_class(model.classes["A15"])


def test_classes_based_on_each_other_end_the_walk():
    model = _model("class A(B):\n    pass\n\nclass B(A):\n    pass\n")
    assert not model.is_nn_module_class(model.classes["A"])


def test_super_runs_the_method_eight_bases_up():
    code = "class A0:\n    def forward(self, x):\n        return x\n" + "".join(
        f"\nclass A{i}(A{i - 1}):\n    pass\n" for i in range(1, 9))
    model = _model(code)
    found = inherited_method(model, model.classes["A8"], "forward")
    assert found is model.classes["A0"].methods["forward"]
