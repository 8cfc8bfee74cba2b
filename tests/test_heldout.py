"""Held-out sets 64-113, kept as a regression corpus once scored.

Helpers wrote them from RULES.md alone (64-81 in session 15, 82-101 in session 16, 102-113 in session 17), each file with
``# expect: BNxxx`` on the lines a linter should report; files without marks are clean. Their first-run
scores, before any fix made for them, are in those sessions' notes; this test keeps what the fixes
reached: no finding on a clean file, and at least the marks found then.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.expect_score import findings, score

SETS = sorted((Path(__file__).parent / "data" / "heldout").glob("set*"))
FOUND_AT_LEAST = 1201  # of 1257 marks (sets 64-81: 371 of 398; 82-87: 133/133; 88-93: 136/141; 94-98: 127/137;
# 99-101: 47/60; 102-107: 187/192; 108-113: 189/196)


# Findings that a later change of the contract adds to files written before it, each judged by hand:
# RULES.md BN302 now warns when a training loader without `drop_last=True` (batch 8-16 here) feeds a model
# with BatchNorm1d on (N, C) and the dataset's length is unknown (a last batch of one sample crashes it).
# set -> (extra findings in buggy files, findings in clean files)
CONTRACT_CHANGES = {
    "set65": (1, 0),  # bug_11.py:42 train_loader, batch 16, BatchNorm1d(256) head
    "set75": (0, 1),  # clean_09.py:66 train_dl, batch 8, Flatten -> Linear -> BatchNorm1d(HIDDEN)
    "set83": (1, 0),  # bug_09.py:108 train_dl, batch 16, Linear -> BatchNorm1d(128)
    "set108": (1, 0),  # bug_06.py:196 the tutorial's loaders by split, batch 16, make_head's BatchNorm1d
    # a TorchScript file saved from a model in training mode is an export (session 53): the model the BN102 slip
    # leaves in training mode is scripted and saved for the app
    "set107": (1, 0),  # bug_06.py:46 `torch.jit.script(model)` then `scripted.save(...)`, BN104
}


@pytest.fixture(scope="module")
def scores():
    got = findings(*SETS)  # (one run over every set)
    return {folder.name: score(folder, verbose=False, got=got) for folder in SETS}


def test_no_finding_on_any_clean_file(scores):
    assert len(SETS) == 50
    assert {name: result[3] for name, result in scores.items() if result[3]} == {
        name: clean for name, (_extra, clean) in CONTRACT_CHANGES.items() if clean}
    assert sum(result[4] for result in scores.values()) == 1069


def test_the_seeded_bugs_found_stay_found(scores):
    found = sum(result[0] for result in scores.values())
    marks = sum(result[0] + result[1] for result in scores.values())
    assert marks == 1257 and found >= FOUND_AT_LEAST, (found, marks)
    extra = sum(result[2] for result in scores.values()) - sum(extra for extra, _clean in CONTRACT_CHANGES.values())
    # extra findings in buggy files: placements. Session 18 added 3 (BN202/BN203 reported at the BatchNorm's
    # constructor, the line real-world labels use, beside the mark at its application: set66/bug_05:60,
    # set78/bug_09:88, set78/bug_12:41), to the 5 there were before. Session 69 added 1: set100/bug_11:82, the
    # callback's unowned evaluation of `trainer.model` (marked at its call, :83) reported at the evaluation loop
    # that the missing `.eval()` goes before, as every unowned BN101 is; the mark was a miss before.
    assert extra <= 9
