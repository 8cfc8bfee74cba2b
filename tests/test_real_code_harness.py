"""benchmarks/real_code.py: comparing two runs of findings, and the text a finding is keyed by."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("real_code", ROOT / "benchmarks" / "real_code.py")
real_code = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(real_code)


def _finding(code, path, line, text):
    return {"code": code, "severity": "error", "path": path, "line": line, "text": text,
            "message": f"{code} message"}


def _run(tmp_path, name, targets):
    path = tmp_path / name
    path.write_text(json.dumps({"commit": name, "targets": {
        t: {"rc": 0, "findings": fs} for t, fs in targets.items()}}))
    return str(path)


def test_diff_keys_by_line_text_and_compares_common_targets(tmp_path, capsys):
    old = _run(tmp_path, "old.json", {
        "repo": [_finding("BN101", "a.py", 10, "y = model(x)"),
                 _finding("BN205", "a.py", 3, "nn.BatchNorm2d(8, momentum=1)")],
        "only_old": [_finding("BN101", "b.py", 1, "m(x)")],
    })
    new = _run(tmp_path, "new.json", {
        "repo": [_finding("BN101", "a.py", 12, "y = model(x)"),  # moved: neither new nor gone
                 _finding("BN302", "a.py", 20, "DataLoader(ds, batch_size=4)")],
    })
    verdicts = tmp_path / "v.tsv"
    verdicts.write_text("# header\nrepo\ta.py\t3\tBN205\tfalse\tmomentum=1 is deliberate\n")
    real_code.main(["diff", old, new, "--verdicts", str(verdicts)])
    out = capsys.readouterr().out
    assert "only in old, not compared: only_old" in out
    assert "## NEW: 1 findings (BN302 1)" in out
    assert "repo\ta.py:20\tBN302\t[unjudged]" in out
    assert "## GONE: 1 findings (BN205 1)" in out
    assert "[false: momentum=1 is deliberate]" in out
    assert "BN101" not in out


def test_notebook_finding_text_is_the_cells_line(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["# title"]},
                    {"cell_type": "code", "source": ["import torch\n", "logits = model(x)\n"]}]}
    (tmp_path / "n.ipynb").write_text(json.dumps(nb))
    assert real_code._line_text(tmp_path / "n.ipynb", 2, cell=2) == "logits = model(x)"
    assert real_code._line_text(tmp_path / "n.ipynb", 5, cell=2) == ""
    (tmp_path / "a.py").write_text("x = 1\n  y = 2\n")
    assert real_code._line_text(tmp_path / "a.py", 2) == "y = 2"


def test_unreadable_run_is_a_one_line_error(tmp_path, capsys):
    try:
        real_code.main(["counts", str(tmp_path / "missing.json")])
    except SystemExit as exc:
        assert "cannot read run" in str(exc.code)
    else:
        raise AssertionError("a missing run file must exit")
