"""Reductions of false findings and lost files seen on real code (the precision issue), each beside its twin
that must still be found. Each file in ``tests/data/reductions/`` says by its name what it holds; ``EXPECTED`` gives
the (code, line) findings it must get, none for the reduced false alarms."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_code, codes_and_lines

DATA = Path(__file__).parent / "data" / "reductions"
CORRECTNESS = ("BN1", "BN3", "BN201", "BN202", "BN203", "BN205", "BN206")

EXPECTED = {
    # detectron2's inference_on_dataset: `stack.enter_context(inference_context(model))` calls eval()
    "exitstack_inference_context.py": [],
    "exitstack_no_grad_only.py": [("BN101", 20)],
    # d2l's DenseNet: the block's layers are iterated and concatenated, not applied in order
    "densenet_concatenation.py": [],
    "densenet_applied_in_order.py": [("BN201", 7), ("BN201", 25), ("BN201", 39)],
    # a linear regression evaluated in its training loop: no BatchNorm, no finding
    "linear_layer_evaluated_in_loop.py": [],
    # tacto (mined case 110): the name rebuilt from its own children was an endless recursion, a BN900 for the file
    "children_rebound_to_the_same_name.py": [("BN101", 9)],
    # `model.training = False` where every BatchNorm normalises with the batch in both modes
    "batch_statistics_only_flag.py": [],
}


def test_every_reduction_has_its_expectation():
    assert {p.name for p in DATA.glob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reduction(name):
    found = codes_and_lines(check_code((DATA / name).read_text(), path=name, select=CORRECTNESS))
    assert sorted(found) == sorted(EXPECTED[name])
