"""Issue 27 D15/D16: noqa comments as ruff reads them, warnings for useless ones, and a noqa at the call
site for a finding that a caller brings about in a helper's file."""
from __future__ import annotations

import json

from conftest import run_cli

from test_edges_importers import TRAIN, project

CODE = """\
import torch.nn as nn
a = nn.BatchNorm2d(64, momentum=0.9)  # bn-lint: noqa
b = nn.BatchNorm2d(64, momentum=0.9)  # noqa: BN205
c = nn.BatchNorm2d(64)  # noqa: BN205
d = nn.BatchNorm2d(64)  # noqa BN205
e = nn.BatchNorm2d(64, momentum=0.9)  # noqa: BN101
f = nn.BatchNorm2d(64, momentum=0.9)  # noqa:
"""


def _found(proc) -> list[tuple[str, str, int]]:
    return sorted((f["path"], f["code"], f["line"]) for f in json.loads(proc.stdout))


def test_d15_inline_bn_lint_noqa_suppresses_the_line(tmp_path):
    (tmp_path / "k.py").write_text(CODE)
    proc = run_cli("check", "--no-cache", "--format", "json", "k.py", cwd=tmp_path)
    assert _found(proc) == [("k.py", "BN205", 6)]  # not line 2 (nor 3; line 7 as flake8 reads `# noqa:`, with a warning)


def test_d15_file_wide_flake8_and_ruff_noqa(tmp_path):
    body = "import torch.nn as nn\na = nn.BatchNorm2d(64, momentum=0.9)\n"
    for name, header in (("f.py", "# flake8: noqa\n"), ("r.py", "# ruff: noqa: BN205\n"), ("g.py", "# flake8: noqa: BN205\n")):
        (tmp_path / name).write_text(header + body)
    proc = run_cli("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert _found(proc) == [("g.py", "BN205", 3)]  # `# flake8: noqa: CODE` is ignored, as flake8 and ruff do
    assert b"g.py:1:1: `# flake8: noqa: BN205` is ignored" in proc.stderr


def test_d15_warns_for_malformed_and_unused_noqa(tmp_path):
    (tmp_path / "k.py").write_text(CODE)
    proc = run_cli("check", "--no-cache", "--format", "concise", "k.py", cwd=tmp_path)
    warnings = sorted(line for line in proc.stderr.decode().splitlines() if "warning" in line)
    assert warnings == [
        "bn-lint: warning: k.py:4:25: unused noqa directive (nothing to suppress: BN205)",
        "bn-lint: warning: k.py:5:25: noqa directive without a colon: `# noqa BN205` suppresses every code; write `# noqa: BN205`",
        "bn-lint: warning: k.py:6:39: unused noqa directive (nothing to suppress: BN101)",
        "bn-lint: warning: k.py:7:39: malformed noqa directive `# noqa:`: no code follows the colon; write codes after "
        "the colon (`# noqa: BN101, BN205`)",
    ]
    assert proc.returncode == 1  # warnings do not change the exit status
    quiet = run_cli("check", "--no-cache", "--select", "BN1", "k.py", cwd=tmp_path)
    assert b"nothing to suppress: BN205" not in quiet.stderr  # BN205 is not selected: its noqa is not judged


def test_malformed_noqa_names_what_follows_the_colon(tmp_path):
    (tmp_path / "m.py").write_text("import torch.nn as nn\nbn = nn.BatchNorm2d(8, momentum=0.9)  # noqa: 501\n")
    proc = run_cli("check", "--no-cache", "--format", "concise", "m.py", cwd=tmp_path)
    assert "malformed noqa directive `# noqa: 501`: `501` is not a code" in proc.stderr.decode()
    assert proc.returncode == 0  # as flake8 reads it: a directive whose codes do not parse suppresses every code


def test_d16_noqa_at_the_call_site_suppresses_the_helpers_finding(tmp_path):
    project(tmp_path)
    train = tmp_path / "train.py"
    train.write_text(TRAIN.replace("print(evaluate(model, val_loader))", "print(evaluate(model, val_loader))  # noqa: BN101"))
    for args in ((".",), ("train.py",), ("cifarnet/model.py",), ("cifarnet/model.py", "train.py")):
        proc = run_cli("check", "--no-cache", "--format", "json", *args, cwd=tmp_path)
        # the finding the call causes (it names the call as related) is gone; what may remain is the
        # helper's own evaluation-owns-its-mode finding at its loop, which no caller brings about
        left = json.loads(proc.stdout)
        assert not [f for f in left if f["related"]], (args, proc.stdout)
        assert [(f["path"], f["line"]) for f in left] in ([], [("cifarnet/model.py", 18)]), (args, proc.stdout)
        assert b"unused noqa" not in proc.stderr, proc.stderr
    helper = tmp_path / "cifarnet" / "model.py"
    lines = helper.read_text().splitlines(keepends=True)
    lines[17] = lines[17].rstrip("\n") + "  # noqa: BN101\n"  # the helper's own noqa silences its own finding
    helper.write_text("".join(lines))
    for args in ((".",), ("cifarnet/model.py",)):
        proc = run_cli("check", "--no-cache", "--format", "json", *args, cwd=tmp_path)
        assert _found(proc) == [], (args, proc.stdout)
    train.write_text(TRAIN)
    proc = run_cli("check", "--no-cache", "--format", "json", "train.py", cwd=tmp_path)
    (finding,) = json.loads(proc.stdout)
    assert (finding["path"], finding["line"]) == ("cifarnet/model.py", 19)
    assert [(r["path"], r["line"]) for r in finding["related"]] == [("train.py", 16)]  # the call that causes it


def test_audit_reads_only_files_whose_noqa_may_matter():
    """Files whose every noqa is bare or names other tools' codes are not tokenized again; any other
    form (malformed, a BN code, a file-wide flake8 form) still is."""
    from bn_lint import noqa_audit

    plain = ["x = 1  # noqa", "y = 2  # noqa: E501", "z = 3  # NOQA:E501,W291 why", "s = 'noqa_word'"]
    worth = ["x = 1  # noqa E501", "x = 1  # noqa:", "x = 1  # noqa: BN101", "x = 1  # noqa: e501, bn205",
             "x = 1  # noqa : E501", "# flake8: noqa: E501"]
    assert not any(noqa_audit._worth_reading(line.encode()) for line in plain)
    assert all(noqa_audit._worth_reading(line.encode()) for line in worth)
    assert noqa_audit._worth_reading("\n".join(plain + worth[:1]).encode())
