"""The cache never answers for code that changed: over the flow matrix's projects, edited from each bug to its
fixed twin and back, a run with the cache and the project index warm finds what a run without them finds.

Each edit changes one file of a small project; the files around it are depended on whole (imports) or by the
answers their text gave to a search (``dependency_log``), so this exercises both kinds of dependency.
"""
from __future__ import annotations

import time
from pathlib import Path

from bn_lint import runner
from bn_lint.cache import Cache
from bn_lint.config import Settings

MATRIX = Path(__file__).parent / "data" / "flow_matrix"


def _place(cells: list[Path], tree: Path, which: str) -> None:
    for cell in cells:
        target = tree / cell.relative_to(MATRIX)
        for source in sorted((cell / which).rglob("*.py")):
            path = target / source.relative_to(cell / which)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != source.read_bytes():
                path.write_bytes(source.read_bytes())
        (target / "pyproject.toml").touch()


def _findings(tree: Path, settings: Settings, cache: Cache | None) -> list[tuple[str, str, int, str]]:
    paths = sorted(str(path) for path in tree.rglob("*.py"))
    results = runner.check_files(paths, settings, 1, cache)
    return sorted((Path(r.path).relative_to(tree).as_posix(), f.code, f.line, f.message)
                  for r in results for f in r.findings)


def test_edits_between_bug_and_fix_are_seen_through_a_warm_cache(tmp_path):
    cells = sorted(path.parent for path in MATRIX.glob("*/*/expect.json"))
    assert len(cells) > 100
    tree, settings = tmp_path / "projects", Settings(root=tmp_path / "projects")
    _place(cells, tree, "bug")
    cold = _findings(tree, settings, Cache(tmp_path / "cache", settings))
    assert len(cold) > 100  # (every cell's bug, and more)
    for which in ("fixed", "bug"):
        time.sleep(0.01)
        _place(cells, tree, which)
        warm = _findings(tree, settings, Cache(tmp_path / "cache", settings))
        assert warm == _findings(tree, settings, None), which
    assert warm == cold
