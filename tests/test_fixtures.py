"""The bundled fixtures: every `# expect: CODE` line is flagged with that code, and nothing else is."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+?)\s*(?:\(from (\S+?)\))?\s*$")
STATIC = sorted(p for p in FIXTURES.rglob("*.py") if "runtime" not in p.parts)


def expected(path: Path, checked: Path | None = None) -> list[tuple[str, int]]:
    """The `# expect: CODE` lines of ``path``; `# expect: CODE (from main.py)` lines count only when
    ``checked`` (another file of the folder, whose check reports into this one) is main.py."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match and match.group(2) == (checked.name if checked is not None else None):
            out += [(code.strip(), number) for code in match.group(1).split(",") if code.strip()]
    return sorted(out)


@pytest.mark.parametrize("path", STATIC, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path):
    checker = Checker(Settings(root=ROOT))
    result = checker.check_path(str(path))
    assert not result.errors
    got = sorted((Path(f.path).name, f.code, f.line) for f in result.findings)
    want = [(path.name, *e) for e in expected(path)]
    want += [(other.name, *e) for other in path.parent.glob("*.py") if other != path for e in expected(other, path)]
    assert got == sorted(want), [(f.path, f.code, f.line, f.message) for f in result.findings]


def test_clean_fixtures_exist_for_the_silence_check():
    assert any(not expected(p) for p in STATIC)
