"""The real-program benchmark's corpus is well formed (benchmarks/tracer_programs.py runs it; this
test runs no program): at least 12 programs, each naming its public source and one rule code."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_program_names_its_source_and_its_bug():
    spec = importlib.util.spec_from_file_location("tracer_programs", ROOT / "benchmarks" / "tracer_programs.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    programs = sorted(bench.PROGRAMS.glob("p*.py"))
    assert len(programs) >= 12
    for path in programs:
        url, code = bench.header(path)
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+/(issues|pull|commit)/\w+", url), path.name
        assert (ROOT / "rules" / f"{code}.md").exists() or code.startswith("BN4"), (path.name, code)
        assert "--steps" in (path.parent / "_common.py").read_text() and "Clock()" in path.read_text()
