"""Bad input: every case gives a clear finding or message and the right exit code, and the other files are still checked."""
from __future__ import annotations

import json
import os
import sys

import pytest

from tests.conftest import run_cli

GOOD_BAD = b"import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.99)\n"  # one BN205 on line 2


def _check(tmp_path, *names: str):
    """Run on the case files plus a file with one real finding; (exit code, {file: [(code, line, message)]}, stderr)."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "zz_real.py").write_bytes(GOOD_BAD)
    done = run_cli("check", "--no-cache", "--format", "json", *names, "zz_real.py", cwd=tmp_path)
    found: dict[str, list] = {}
    for item in json.loads(done.stdout or b"[]"):
        found.setdefault(os.path.basename(item["filename"] if "filename" in item else item["path"]), []).append(
            (item["code"], item["location"]["row"] if "location" in item else item["line"], item["message"])
        )
    assert [c for c, *_ in found["zz_real.py"]] == ["BN205"], (found, done.stderr)  # the other file still checked
    return done.returncode, found, done.stderr.decode()


CASES = {
    "empty.py": (b"", None),
    "syntax.py": (b"def f(:\n    pass\n", ("BN900", 1, "syntax error")),
    "nul.py": (b"import torch.nn as nn\nx = 1\x00\n", ("BN900", 1, "null bytes")),
    "undecodable.py": (b'x = "\xff\xfe"\n', ("BN901", 1, "and there is no coding declaration")),
    "bad_cookie.py": (b'# -*- coding: utf-8 -*-\nx = "\xff"\n', ("BN901", 1, "not valid UTF-8 (byte 0xff on line 2)")),
    "unknown_cookie.py": (b"# -*- coding: klingon -*-\nx = 1\n", ("BN901", 1, "bad encoding declaration")),
    # a codec a package registers to run today's syntax on old interpreters (`pip install future-fstrings`): UTF-8 text
    "future_fstrings_cookie.py": (b'# -*- coding: future_fstrings -*-\nimport torch.nn as nn\nx = f"{1}"\n'
                                  b'bn = nn.BatchNorm1d(3, momentum=0.9)\n', ("BN205", 4, "momentum")),
    "future_fstrings_cookie_second_line.py": (b'#!/usr/bin/env python\n# coding: future-fstrings\nimport torch.nn as nn\n'
                                              b'bn = nn.BatchNorm1d(3, momentum=0.9)\n', ("BN205", 4, "momentum")),
    "latin1_cookie.py": (b'# -*- coding: latin-1 -*-\nimport torch.nn as nn\nx = "\xff"\nbn = nn.BatchNorm1d(3, momentum=0.9)\n',
                         ("BN205", 4, "momentum")),
    "bom.py": (b"\xef\xbb\xbf" + GOOD_BAD, ("BN205", 2, "momentum")),
    "crlf.py": (GOOD_BAD.replace(b"\n", b"\r\n"), ("BN205", 2, "momentum")),
    "cr_only.py": (GOOD_BAD.replace(b"\n", b"\r"), ("BN205", 2, "momentum")),
    "formfeed.py": (b"import torch.nn as nn\n\x0c\nbn = nn.BatchNorm2d(3, momentum=0.99)\n", ("BN205", 3, "momentum")),
    "stub.pyi": (b"import torch.nn as nn\ndef f(x=nn.BatchNorm2d(3, momentum=0.99)) -> None: ...\n", ("BN205", 2, "momentum")),
    "paren_too_deep.py": (b"import torch.nn as nn\nx = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", ("BN900", 2, "syntax error")),
    # deep, but within what the checker and its position pass handle: the file is checked as usual
    "nested_calls.py": (GOOD_BAD + b"x = " + b"f(" * 190 + b"1" + b")" * 190 + b"\n", ("BN205", 2, "momentum")),
    "long_chain.py": (GOOD_BAD + b"x = " + b"+".join([b"nn.BatchNorm2d(1)"] * 20000) + b"\n", ("BN900", 1, "too deep")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(tmp_path, name):
    data, expected = CASES[name]
    (tmp_path / name).write_bytes(data)
    code, found, stderr = _check(tmp_path, name)
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert code == 1  # zz_real.py always has a finding; no case is an internal error (2)
    if expected is None:
        assert name not in found
    else:
        (got,) = found[name]
        assert got[:2] == expected[:2] and expected[2] in got[2], got


def test_all_at_once(tmp_path):
    for name, (data, _) in CASES.items():
        (tmp_path / name).write_bytes(data)
    code, found, stderr = _check(tmp_path, ".")
    assert code == 1 and "internal error" not in stderr
    for name, (_, expected) in CASES.items():
        assert (name in found) == (expected is not None), name


def test_ten_megabyte_file(tmp_path):
    row = b"    " + b", ".join([b"0.123456789"] * 12) + b",\n"
    data = GOOD_BAD + b"WEIGHTS = [\n" + row * (10 * 2**20 // len(row) + 1) + b"]\n"
    (tmp_path / "big.py").write_bytes(data)
    code, found, _ = _check(tmp_path, "big.py")
    assert code == 1
    ((rule, line, message),) = found["big.py"]
    assert rule == "BN901" and "over the 2 MiB limit" in message


def test_big_file_without_triggers_is_fine(tmp_path):
    row = b"    " + b", ".join([b"0.123456789"] * 12) + b",\n"
    (tmp_path / "data.py").write_bytes(b"WEIGHTS = [\n" + row * (3 * 2**20 // len(row)) + b"]\n")
    code, found, _ = _check(tmp_path, "data.py")
    assert code == 1 and "data.py" not in found


def test_symlink_loop(tmp_path):
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")  # a directory loop: never followed
    code, found, stderr = _check(tmp_path, "loop_a.py", "sub")
    assert code == 1
    ((rule, _, message),) = found["loop_a.py"]
    assert rule == "BN901" and "symbolic links" in message
    # walking the directory: links are not followed, so the loop neither hangs nor repeats files
    code, found, _ = _check(tmp_path, ".")
    assert code == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.py"
    path.write_bytes(GOOD_BAD)
    path.chmod(0)
    try:
        code, found, _ = _check(tmp_path, "secret.py")
    finally:
        path.chmod(0o644)
    assert code == 1
    ((rule, _, message),) = found["secret.py"]
    assert rule == "BN901" and "ermission" in message


def test_directory_named_like_a_module(tmp_path):
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_bytes(GOOD_BAD)
    code, found, _ = _check(tmp_path, "x.py")
    assert code == 1 and [c for c, *_ in found["inner.py"]] == ["BN205"]  # walked as the directory it is
    code, found, _ = _check(tmp_path, ".")
    assert "x.py" not in found and "inner.py" in found
