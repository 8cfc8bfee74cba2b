"""The bundled fixtures: every `# expect: CODE` line is flagged with that code, and nothing else is."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
STATIC = sorted(p for p in FIXTURES.rglob("*.py") if "runtime" not in p.parts)


def expected(path: Path) -> list[tuple[str, int]]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            out += [(code.strip(), number) for code in match.group(1).split(",") if code.strip()]
    return sorted(out)


@pytest.mark.parametrize("path", STATIC, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path):
    checker = Checker(Settings(root=ROOT))
    result = checker.check_path(str(path))
    assert not result.errors
    got = sorted((f.code, f.line) for f in result.findings)
    assert got == expected(path), [(f.code, f.line, f.message) for f in result.findings]


def test_clean_fixtures_exist_for_the_silence_check():
    assert any(not expected(p) for p in STATIC)
