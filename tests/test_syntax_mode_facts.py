"""semantic.modes: facts read from the syntax alone (session 74): the mode call that dominates a statement, text arguments."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from bn_lint.project import Project
from bn_lint.semantic.modes.dominating import last_mode_call

CODE = """
    import torch

    def run(model, loader, optimizer, fine_tune):
        model.eval()
        step(model, loader, None)                       # 6: eval dominates
        with torch.no_grad():
            step(model, loader, None)                   # 8: through the `with`
        if fine_tune:
            model.train()
        step(model, loader, optimizer)                  # 11: a mode set in a branch: open
        model.train()
        for batch in loader:
            step(model, batch, optimizer)               # 14: train dominates
        model = torch.load("other.pt")
        step(model, loader, None)                       # 16: another model
        model.train(False)
        step(model, loader, None)                       # 18: train(False) is eval
"""


@pytest.mark.parametrize("line, expected", [(6, "eval"), (8, "eval"), (11, None), (14, "train"), (16, None),
                                            (18, "eval")])
def test_the_last_mode_call_that_dominates_a_call(tmp_path, line, expected):
    (tmp_path / "run.py").write_text(textwrap.dedent(CODE))
    model = Project().model(str(tmp_path / "run.py"))
    call = next(site.node for site in model.calls if isinstance(site.node.func, cst.Name)
                and site.node.func.value == "step" and model.line_of(site.node) == line)
    assert last_mode_call(model, call, "model") == expected


@pytest.mark.parametrize("source, expected", [
    ('"time: %.4f" % t', True), ('f"epoch {e}"', True), ('"lr {}".format(lr)', True), ("'a' 'b'", True),
    ("x", False), ("images.cuda()", False), ("fmt % t", False),
])
def test_text_arguments_are_messages_not_network_inputs(source, expected):
    """Session 74 (transfer batch 29's 14402): `logprint("time compute: %.4f ms" % t)` called in a validation is a
    message, not a run of a network; a call whose every argument is text is no use of a model."""
    from bn_lint.semantic.modes.known_calls import text_value

    assert text_value(cst.parse_expression(source)) is expected
