"""The fixer: overlap, noqa, re-parse, atomic writes, encodings, newlines, idempotence."""
from __future__ import annotations

import ast
import os
import stat

import libcst as cst
import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker, FileResult
from bn_lint.finding import Edit, Finding, Fix, Severity
from bn_lint.fixer import apply_fixes, fix_file, fix_source, write_atomically
from bn_lint.source import SourceText

BN205 = "import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=0.9)\n"
BN102 = "def validate(model):\n    model.eval\n    return model\n"


def finding(line: int, column: int, *edits: Edit, code: str = "BN999", message: str = "m") -> Finding:
    return Finding(code, "test", Severity.ERROR, "t.py", line, column, line, column, message, Fix(f"fix {code}", tuple(edits)))


def checker() -> Checker:
    return Checker(Settings(select=("BN",), unsafe_fixes=True))


# ------------------------------------------------------------------ apply_fixes
def test_overlapping_fixes_apply_one_and_report_the_other():
    text = "x = foo(1, 2)\n"
    first = finding(1, 5, Edit(1, 5, 1, 14, "bar(1, 2)"), code="BN201")
    second = finding(1, 9, Edit(1, 9, 1, 10, "3"), code="BN205")
    outcome = apply_fixes(text, [second, first])
    assert outcome.text == "x = bar(1, 2)\n"
    assert outcome.applied == [first]
    assert [(f.code, why) for f, why in outcome.rejected] == [("BN205", "overlaps the fix for BN201 at line 1")]


def test_adjacent_fixes_both_apply_and_insertions_at_one_point_conflict():
    text = "a = b + c\n"
    left = finding(1, 5, Edit(1, 5, 1, 6, "B"))
    right = finding(1, 6, Edit(1, 6, 1, 8, " -"))
    assert apply_fixes(text, [left, right]).text == "a = B - c\n"
    one = finding(1, 10, Edit(1, 10, 1, 10, "()"), message="one")
    two = finding(1, 10, Edit(1, 10, 1, 10, "[0]"), message="two")
    outcome = apply_fixes(text, [one, two])
    assert outcome.text == "a = b + c()\n" and len(outcome.rejected) == 1


def test_identical_fixes_are_applied_once():
    text = "model.eval\n"
    a = finding(1, 1, Edit(1, 11, 1, 11, "()"), code="BN102")
    b = finding(1, 1, Edit(1, 11, 1, 11, "()"), code="BN103")
    outcome = apply_fixes(text, [a, b])
    assert outcome.text == "model.eval()\n"
    assert set(outcome.applied) == {a, b} and not outcome.rejected


def test_a_fix_whose_result_does_not_parse_is_not_applied_the_others_are():
    text = "x = 1\ny = 2\n"
    broken = finding(1, 1, Edit(1, 5, 1, 6, "1 +"), message="broken")
    good = finding(2, 1, Edit(2, 5, 2, 6, "3"), message="good")
    outcome = apply_fixes(text, [broken, good])
    assert outcome.text == "x = 1\ny = 3\n"
    assert outcome.applied == [good]
    assert [(f.message, why) for f, why in outcome.rejected] == [("broken", "the fixed code would not parse")]


def test_edits_outside_the_text_are_rejected():
    outcome = apply_fixes("x = 1\n", [finding(1, 1, Edit(5, 1, 5, 2, "y")), finding(1, 1, Edit(1, 9, 1, 10, "y"))])
    assert outcome.text == "x = 1\n" and len(outcome.rejected) == 2


def test_columns_are_code_points():
    text = 'label = "𝔘é"; y = f(0.9)\n'
    column = text.index("0.9") + 1
    outcome = apply_fixes(text, [finding(1, column, Edit(1, column, 1, column + 3, "0.1"))])
    assert outcome.text == 'label = "𝔘é"; y = f(0.1)\n'


def test_multiline_replacement_takes_the_files_newline():
    text = "x = [\r\n    1]\r\n"
    outcome = apply_fixes(text, [finding(1, 5, Edit(1, 5, 2, 7, "[\n    2,\n]"))])
    assert outcome.text == "x = [\r\n    2,\r\n]\r\n"


# --------------------------------------------------------------- real rules
def test_bn102_and_bn205_fixes_apply():
    fixed = fix_source(checker(), "a.py", SourceText(BN102 + BN205, "utf-8"))
    assert fixed.text == BN102.replace("model.eval\n", "model.eval()\n") + BN205.replace("0.9)", "0.1)")
    assert sorted(f.code for f in fixed.applied) == ["BN102", "BN205"]
    assert fixed.result.findings == []


def test_noqa_suppressed_findings_are_not_fixed():
    text = "model.eval  # noqa: BN102\nnet.train  # noqa: BN205\n"
    fixed = fix_source(checker(), "a.py", SourceText(text, "utf-8"))
    assert fixed.text == "model.eval  # noqa: BN102\nnet.train()  # noqa: BN205\n"


def test_file_wide_noqa_and_deselected_rules_are_not_fixed():
    text = "# bn-lint: noqa: BN102\nmodel.eval\n" + BN205
    fixed = fix_source(checker(), "a.py", SourceText(text, "utf-8"))
    assert fixed.text == "# bn-lint: noqa: BN102\nmodel.eval\n" + BN205.replace("0.9)", "0.1)")
    only = Checker(Settings(select=("BN1",), unsafe_fixes=True))
    assert "momentum=0.9" in fix_source(only, "a.py", SourceText(BN205 + "model.eval\n", "utf-8")).text


# ------------------------------------------------------------------- files
class BrokenFixChecker:
    """A checker whose one finding carries a fix that breaks the syntax."""

    settings = Settings()

    def check_source(self, path, source):
        findings = []
        if "value" in source.text:
            findings.append(finding(1, 1, Edit(1, 1, 1, 6, "value value")))
        return FileResult(path, findings, source=source)

    check_path = None


def test_code_that_does_not_parse_is_never_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"value = 1\n")
    before = os.stat(path)
    fixed = fix_file(BrokenFixChecker(), str(path))
    assert not fixed.written and not fixed.changed
    assert [why for _, why in fixed.not_applied] == ["the fixed code would not parse"]
    assert path.read_bytes() == b"value = 1\n"
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_atomic_write_keeps_permissions_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BN102)
    os.chmod(path, 0o751)
    fixed = fix_file(checker(), str(path))
    assert fixed.written
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    assert path.read_text() == BN102.replace("model.eval\n", "model.eval()\n")
    assert sorted(os.listdir(tmp_path)) == ["a.py"]


def test_a_symlink_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real.py"
    real.write_text(BN102)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    assert fix_file(checker(), str(link)).written
    assert link.is_symlink()
    assert "model.eval()" in real.read_text()


def test_write_refuses_when_the_file_changed_meanwhile(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 2\n")
    with pytest.raises(OSError):
        write_atomically(str(path), "x = 3\n", "utf-8", expected=b"x = 1\n")
    assert path.read_text() == "x = 2\n"


def test_crlf_newlines_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes((BN102 + BN205).replace("\n", "\r\n").encode())
    assert fix_file(checker(), str(path)).written
    data = path.read_bytes()
    assert b"model.eval()\r\n" in data and b"momentum=0.1)\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_bom_and_declared_encoding_are_kept(tmp_path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\n" + BN205.encode())
    assert fix_file(checker(), str(bom)).written
    assert bom.read_bytes() == b"\xef\xbb\xbf# caf\xc3\xa9\n" + BN205.replace("0.9)", "0.1)").encode()

    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BN205.encode())
    assert fix_file(checker(), str(latin)).written
    assert latin.read_bytes() == b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BN205.replace("0.9)", "0.1)").encode()


def test_fixing_is_idempotent(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BN102 + BN205 + "bn2 = nn.BatchNorm1d(8, 0.9)\n")
    first = fix_file(checker(), str(path))
    assert first.written and len(first.applied) == 2
    after = path.read_bytes()
    second = fix_file(checker(), str(path))
    assert not second.changed and not second.written and second.applied == []
    assert path.read_bytes() == after
    assert [f.code for f in second.result.findings] == ["BN206"]  # unfixable, left alone
    cst.parse_module(after.decode())
    ast.parse(after)


def test_a_read_only_file_is_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text(BN102)
    os.chmod(path, 0o444)
    if os.access(path, os.W_OK):  # root may write anything: act as if it could not
        monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    fixed = fix_file(checker(), str(path))
    assert not fixed.written and "not writable" in fixed.error
    assert path.read_text() == BN102
    assert [f.code for f in fixed.result.findings] == ["BN102"]  # reported as still there
