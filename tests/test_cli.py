"""The command line end to end: exit codes, formats, configuration, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, run_cli

BN205 = "import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=0.9)\n"
GOOD = "import torch.nn as nn\nbn = nn.BatchNorm2d(64)\n"


def test_findings_exit_1_and_concise_format(write, tmp_path):
    write("a.py", BN205)
    proc = run_cli("check", "--format", "concise", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode()
    assert f"{tmp_path / 'a.py'}:2:6: BN205" in out


def test_clean_exit_0(write, tmp_path):
    write("a.py", GOOD)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"All checks passed" in proc.stderr


def test_exit_zero(write, tmp_path):
    write("a.py", BN205)
    assert run_cli("check", "--exit-zero", str(tmp_path)).returncode == 0


def test_full_format_shows_source_and_caret(write, tmp_path):
    write("a.py", BN205)
    out = run_cli("check", str(tmp_path)).stdout.decode()
    assert "bn = nn.BatchNorm2d(64, momentum=0.9)" in out
    assert "^" * len("nn.BatchNorm2d(64, momentum=0.9)") in out
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_json_format(write, tmp_path):
    write("a.py", BN205)
    data = json.loads(run_cli("check", "--format", "json", str(tmp_path)).stdout)
    assert len(data) == 1
    keys = {"code", "name", "severity", "path", "line", "column", "end_line", "end_column", "message", "fix"}
    assert keys <= set(data[0])
    assert (data[0]["code"], data[0]["name"], data[0]["line"], data[0]["column"]) == ("BN205", "keras-momentum", 2, 6)
    assert data[0]["fix"]["edits"][0]["replacement"] == "0.1"


def test_json_on_fixtures_parses():
    proc = run_cli("check", "--format", "json", str(ROOT / "fixtures"))
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)) >= 3


def test_sarif_validates_against_the_official_schema(write, tmp_path):
    write("a.py", BN205)
    write("b.py", "model.eval\n")
    proc = run_cli("check", "--format", "sarif", str(tmp_path))
    document = json.loads(proc.stdout)
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {"BN205", "BN102"}
    assert all(r["partialFingerprints"] for r in run["results"])
    assert {d["id"] for d in run["tool"]["driver"]["rules"]} >= {"BN102", "BN205"}


def test_github_format(write, tmp_path):
    write("a.py", BN205)
    out = run_cli("check", "--format", "github", str(tmp_path)).stdout.decode()
    assert out.startswith("::warning file=") and ",line=2,col=6," in out and "::BN205 " in out


def test_output_is_sorted_and_stable(write, tmp_path):
    write("b.py", BN205)
    write("a.py", BN205 + "model.eval\n")
    first = run_cli("check", "--format", "concise", str(tmp_path)).stdout
    second = run_cli("check", "--format", "concise", str(tmp_path)).stdout
    assert first == second
    lines = first.decode().splitlines()
    assert [line.split(":")[0].endswith("a.py") for line in lines] == [True, True, False]


def test_bad_input_directory(write, tmp_path):
    """A good file, a syntax error, undecodable bytes and a BN205: all reported, exit 1."""
    write("good.py", GOOD)
    write("broken.py", "import torch\ndef f(:\n    pass\n")
    write("latin.py", b"x = '\xff\xfe'\n")
    write("momentum.py", BN205)
    proc = run_cli("check", "--format", "concise", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode()
    assert "broken.py:2:" in out and "BN900" in out
    assert "latin.py:1:1: BN901" in out
    assert "not valid UTF-8 (byte 0xff on line 1)" in out
    assert "momentum.py:2:6: BN205" in out
    assert "good.py" not in out


def test_syntax_error_without_trigger_words_is_still_reported(write, tmp_path):
    write("x.py", "def f(:\n")
    assert b"BN900" in run_cli("check", "--format", "concise", str(tmp_path)).stdout


def test_coding_cookie_and_bom_are_honoured(write, tmp_path):
    write("cookie.py", b"# -*- coding: latin-1 -*-\nimport torch.nn as nn\ns = '\xe9'\nbn = nn.BatchNorm2d(8, momentum=0.9)\n")
    write("bom.py", b"\xef\xbb\xbf" + BN205.encode())
    out = run_cli("check", "--format", "concise", str(tmp_path)).stdout.decode()
    assert "cookie.py:4:6: BN205" in out and "bom.py:2:6: BN205" in out
    assert "BN901" not in out


def test_undecodable_messages_name_the_problem(write, tmp_path):
    write("late.py", b"a = 1\nb = 2\nc = '\xff'\n")
    write("badcookie.py", b"# -*- coding: klingon -*-\nx = 1\n")
    write("wrongcookie.py", b"# coding: ascii\nx = '\xe9'\n")
    out = run_cli("check", "--format", "concise", str(tmp_path)).stdout.decode()
    assert "late.py:1:1: BN901 cannot read file: not valid UTF-8 (byte 0xff on line 3)" in out
    assert "badcookie.py:1:1: BN901 cannot read file: bad encoding declaration" in out
    assert "wrongcookie.py:1:1: BN901 cannot read file: cannot decode as ascii" in out


def test_missing_path_is_a_usage_error(tmp_path):
    proc = run_cli("check", str(tmp_path / "nope.py"))
    assert proc.returncode == 2
    assert b"no such file" in proc.stderr


def test_bad_config_key_is_one_line_exit_2(write, tmp_path):
    write("pyproject.toml", "[tool.bn-lint]\nselec = ['BN1']\n")
    write("a.py", GOOD)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "pyproject.toml" in err and "selec" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[tool.bn-lint]\nselect = ['BN999']\n", "BN999"),
        ("[tool.bn-lint]\nmin-batch-size = 'eight'\n", "min-batch-size"),
        ("[tool.bn-lint]\nformat = 'xml'\n", "format"),
        ("[tool.bn-lint\n", "invalid TOML"),
    ],
)
def test_bad_config_values(write, tmp_path, toml, needle):
    write("pyproject.toml", toml)
    write("a.py", GOOD)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2
    assert needle in proc.stderr.decode() and b"Traceback" not in proc.stderr


def test_unknown_code_on_the_command_line(write, tmp_path):
    write("a.py", GOOD)
    proc = run_cli("check", "--select", "BN7", str(tmp_path))
    assert proc.returncode == 2 and b"BN7" in proc.stderr


def test_config_select_ignore_and_per_file_ignores(write, tmp_path):
    write("pyproject.toml", "[tool.bn-lint]\nignore = ['BN2']\nextend-select = ['BN206']\n"
          "per-file-ignores = { 'legacy/*.py' = ['BN102'] }\n")
    write("a.py", "import torch.nn as nn\nbn = nn.BatchNorm2d(64, 0.9)\nb2 = nn.BatchNorm2d(8, momentum=0.9)\n")
    write("legacy/old.py", "model.eval\n")
    write("new.py", "model.eval\n")
    out = run_cli("check", "--format", "concise", str(tmp_path)).stdout.decode()
    assert "a.py:2:6: BN206" in out  # more specific extend-select wins over ignore BN2
    assert "BN205" not in out
    assert "new.py:1:1: BN102" in out and "old.py" not in out


def test_select_by_prefix_on_command_line(write, tmp_path):
    write("a.py", BN205 + "model.eval\n")
    out = run_cli("check", "--select", "BN1", "--format", "concise", str(tmp_path)).stdout.decode()
    assert "BN102" in out and "BN205" not in out


def test_noqa(write, tmp_path):
    write("a.py", "import torch.nn as nn\n"
          "a = nn.BatchNorm2d(64, momentum=0.9)  # noqa\n"
          "b = nn.BatchNorm2d(64, momentum=0.9)  # noqa: BN205\n"
          "c = nn.BatchNorm2d(64, momentum=0.9)  # noqa: BN101\n"
          "d = nn.BatchNorm2d(64, momentum=0.9,\n    eps=1e-5)  # noqa: BN205 (a finding is suppressed on its first line)\n")
    write("b.py", "# bn-lint: noqa: BN205\nimport torch.nn as nn\na = nn.BatchNorm2d(64, momentum=0.9)\nm.eval\n")
    write("c.py", "# bn-lint: noqa\nm.eval\n")
    out = run_cli("check", "--format", "concise", str(tmp_path)).stdout.decode()
    assert [line.split(": ")[0] for line in out.splitlines()] == [
        f"{tmp_path / 'a.py'}:4:5", f"{tmp_path / 'a.py'}:5:5", f"{tmp_path / 'b.py'}:4:1"
    ]


def test_stdin(tmp_path):
    proc = run_cli("check", "--format", "concise", "--stdin-filename", "pkg/model.py", "-", stdin=BN205.encode())
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("pkg/model.py:2:6: BN205")


def test_statistics(write, tmp_path):
    write("a.py", BN205 + BN205.splitlines()[1] + "\n")
    out = run_cli("check", "--statistics", "--format", "concise", str(tmp_path)).stdout.decode()
    assert "     2  BN205  keras-momentum" in out


def test_gitignore_and_excludes(write, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(".gitignore", "generated/\n")
    write("generated/a.py", BN205)
    write("build/b.py", BN205)
    write(".venv/c.py", BN205)
    write("vendor/d.py", BN205)
    write("src/e.py", BN205)
    out = run_cli("check", "--format", "concise", "--extend-exclude", "vendor", str(tmp_path)).stdout.decode()
    assert [Path(line.split(":")[0]).name for line in out.splitlines()] == ["e.py"]
    # a file named explicitly is always checked
    assert run_cli("check", str(tmp_path / "generated" / "a.py")).returncode == 1


def test_rules_and_rule_commands():
    listing = run_cli("rules").stdout.decode()
    assert "BN205  keras-momentum" in listing
    page = run_cli("rule", "bn205")
    assert page.returncode == 0 and b"## Why is this bad?" in page.stdout
    unknown = run_cli("rule", "BN999")
    assert unknown.returncode == 2 and b"unknown rule code" in unknown.stderr


def test_python_dash_m_and_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and b"bn-lint" in proc.stdout


def _modules_after_check(path) -> str:
    """(its output, the modules it loaded) of ``bn-lint check path`` run in a fresh interpreter."""
    code = (
        "import sys\n"
        f"sys.argv = ['bn-lint', 'check', '--no-cache', {str(path)!r}]\n"
        "from bn_lint.cli import main  # (not the console script's entry: it leaves through os._exit)\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', *sorted(sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    messages, _, modules = proc.stderr.rpartition("MODULES")
    return proc.stdout + messages, modules.split()


def test_check_never_imports_torch(write, tmp_path):
    write("a.py", BN205)
    out, modules = _modules_after_check(tmp_path)
    assert "BN205" in out
    assert "torch" not in modules


def test_libcst_is_imported_only_for_a_file_that_needs_a_parse(write, tmp_path):
    cleared = write("plain.py", "import torch\nx = torch.zeros(3)\n")  # no rule's trigger
    out, modules = _modules_after_check(cleared)
    assert "All checks passed" in out
    assert "bn_lint.rules.bn201_num_features_mismatch" in modules  # the rules were loaded ...
    assert not [m for m in modules if m.startswith("libcst.")]  # ... but libcst never was
    out, modules = _modules_after_check(write("bad.py", BN205))
    assert "BN205" in out and "libcst._nodes.base" in modules


def test_internal_error_in_a_rule_exits_2_and_other_files_are_checked(write, tmp_path, monkeypatch):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.rules.bn205_keras_momentum import KerasMomentum

    def boom(self, model):
        raise ValueError("boom")
        yield

    monkeypatch.setattr(KerasMomentum, "check", boom)
    a = write("a.py", BN205)
    b = write("b.py", "model.eval\n")
    checker = Checker(Settings())
    ra, rb = checker.check_path(str(a)), checker.check_path(str(b))
    assert ra.errors and "BN205" in ra.errors[0] and "ValueError: boom" in ra.errors[0]
    assert [f.code for f in rb.findings] == ["BN102"]
