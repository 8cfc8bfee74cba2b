"""Held-out sets 64-113, kept as a regression corpus once scored.

Helpers wrote them from RULES.md alone (64-81 in session 15, 82-101 in session 16, 102-113 in session 17), each file with
``# expect: BNxxx`` on the lines a linter should report; files without marks are clean. Their first-run
scores, before any fix made for them, are in those sessions' notes; this test keeps what the fixes
reached: no finding on a clean file, and at least the marks found then.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.expect_score import score

SETS = sorted((Path(__file__).parent / "data" / "heldout").glob("set*"))
FOUND_AT_LEAST = 1192  # of 1257 marks (sets 64-81: 371 of 398; 82-87: 133/133; 88-93: 136/141; 94-98: 127/137;
# 99-101: 47/60; 102-107: 187/192; 108-113: 189/196)


@pytest.fixture(scope="module")
def scores():
    return {folder.name: score(folder, verbose=False) for folder in SETS}


def test_no_finding_on_any_clean_file(scores):
    assert len(SETS) == 50
    assert {name: result[3] for name, result in scores.items() if result[3]} == {}
    assert sum(result[4] for result in scores.values()) == 1069


def test_the_seeded_bugs_found_stay_found(scores):
    found = sum(result[0] for result in scores.values())
    marks = sum(result[0] + result[1] for result in scores.values())
    assert marks == 1257 and found >= FOUND_AT_LEAST, (found, marks)
    assert sum(result[2] for result in scores.values()) <= 5  # extra findings in buggy files (placements)
