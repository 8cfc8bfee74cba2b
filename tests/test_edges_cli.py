"""Issue 27: the command line at the edges (stdin, per-file config, statistics, help, rule pages)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conftest import FIXTURES, run_cli

KERAS = b"import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.99)\nbn2 = nn.BatchNorm2d(3, 0.9)\n"  # BN205 l2, BN206 l3


def _codes(proc) -> list[tuple[str, str, int]]:
    return sorted((f["path"], f["code"], f["line"]) for f in json.loads(proc.stdout))


def test_d3_stdin_filename_alone_reads_stdin(tmp_path):
    (tmp_path / "other.py").write_bytes(KERAS)  # in the working directory: must not be checked
    proc = run_cli("check", "--no-cache", "--format", "json", "--stdin-filename", "src/k.py", cwd=tmp_path,
                   stdin=b"import torch.nn as nn\nbn = nn.BatchNorm1d(3, momentum=0.9)\n")
    assert proc.returncode == 1, proc.stderr
    assert _codes(proc) == [("src/k.py", "BN205", 2)]


def test_d4_stdin_config_comes_from_the_stdin_filename(tmp_path):
    project = tmp_path / "cfg"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.bn-lint]\nper-file-ignores = {"tests/*.py" = ["BN2"]}\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    name = str(project / "tests" / "test_k.py")
    proc = run_cli("check", "--no-cache", "--format", "json", "--stdin-filename", name, "-", cwd=elsewhere, stdin=KERAS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _codes(proc) == []


def test_d5_config_per_file_order_does_not_matter(tmp_path):
    for name in ("pa", "pb"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "k.py").write_bytes(KERAS)
    (tmp_path / "pb" / "pyproject.toml").write_text('[tool.bn-lint]\nignore = ["BN205"]\n')
    expected = [("pa/k.py", "BN205", 2), ("pa/k.py", "BN206", 3), ("pb/k.py", "BN206", 3)]
    for order in (("pa", "pb"), ("pb", "pa")):
        proc = run_cli("check", "--no-cache", "--format", "json", *order, cwd=tmp_path)
        assert _codes(proc) == expected, order
        cached = run_cli("check", "--format", "json", *order, cwd=tmp_path)
        assert _codes(cached) == expected, order


def test_issue31_d12_non_table_tool_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    (tmp_path / "k.py").write_bytes(KERAS)
    proc = run_cli("check", "--no-cache", "--format", "json", "k.py", cwd=tmp_path)
    assert b"Traceback" not in proc.stderr and proc.returncode == 1
    assert len(_codes(proc)) == 2


def test_d7_statistics_keep_machine_formats_valid(tmp_path):
    (tmp_path / "k.py").write_bytes(KERAS)
    for fmt, parse in (("json", json.loads), ("sarif", json.loads), ("junit", ET.fromstring)):
        proc = run_cli("check", "--no-cache", "--statistics", "--format", fmt, "k.py", cwd=tmp_path)
        parse(proc.stdout)
        assert b"BN205  keras-momentum" in proc.stderr
        out = tmp_path / f"out.{fmt}"
        run_cli("check", "--no-cache", "--statistics", "--format", fmt, "-o", str(out), "k.py", cwd=tmp_path)
        parse(out.read_bytes())
    text = run_cli("check", "--no-cache", "--statistics", "--format", "concise", "k.py", cwd=tmp_path)
    assert b"BN205  keras-momentum" in text.stdout


def test_d8_missing_path_never_says_all_passed(tmp_path):
    proc = run_cli("check", "--no-cache", "nonexistent.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert b"All checks passed" not in proc.stderr
    assert b"nonexistent.py: no such file or directory" in proc.stderr and b"1 path not found" in proc.stderr


def test_d10_show_fixes_alone_lists_what_fix_would_do(tmp_path):
    path = tmp_path / "v.py"
    path.write_text("def validate(model, loader):\n    model.eval\n    return [model(x) for x in loader]\n")
    proc = run_cli("check", "--no-cache", "--show-fixes", str(path))
    assert proc.returncode == 1
    assert b"Would fix 1 finding:" in proc.stderr and b"BN102 call `model.eval()`" in proc.stderr
    assert "model.eval\n" in path.read_text()  # nothing written


def test_d11_diff_goes_to_the_output_file(tmp_path):
    path = tmp_path / "v.py"
    path.write_text("def validate(model, loader):\n    model.eval\n    return [model(x) for x in loader]\n")
    out = tmp_path / "fix.diff"
    proc = run_cli("check", "--no-cache", "--diff", "-o", str(out), str(path))
    assert proc.returncode == 1 and proc.stdout == b""
    assert "+    model.eval()" in out.read_text()


def test_d12_help_is_not_cut():
    proc = run_cli("--help")
    commands = proc.stdout.decode().split("Commands:")[1].strip().splitlines()
    names = [line.split()[0] for line in commands]
    assert {"check", "rule", "rules", "trace"} <= set(names) and not any(line.startswith("   ") for line in commands)  # one line each
    assert not any(line.rstrip().endswith("...") for line in commands), commands
    assert any("by code or name." in line for line in commands)


def test_d13_runtime_only_select_says_so():
    proc = run_cli("check", "--no-cache", "--select", "BN401", str(FIXTURES / "runtime"))
    assert b"BN401 is reported only at run time, by 'bn-lint trace'" in proc.stderr


def test_d14_rule_by_name_and_all():
    by_name = run_cli("rule", "missing-eval")
    assert by_name.returncode == 0 and by_name.stdout.startswith(b"# BN101 missing-eval")
    every = run_cli("rule", "--all")
    assert every.returncode == 0 and every.stdout.count(b"\n# BN") + every.stdout.startswith(b"# BN") >= 19
    assert run_cli("rule").returncode == 2


def test_a_check_ends_without_freeing_its_trees_and_loses_no_output(tmp_path):
    """`check` leaves through os._exit (cli.entry): every line, the output file and the exit code still
    arrive; an atexit handler of the process (which only a normal exit runs) shows that the quick exit was
    taken, and that `--help` (not a check) still ends normally."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    for i in range(40):
        (tmp_path / f"m{i}.py").write_bytes(KERAS)
    probe = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('normal exit\\n'));"
             "from bn_lint.cli import entry; sys.argv[0] = 'bn-lint'; entry()")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-c", probe, "check", "--no-cache", "--jobs", "1", "--format",
                           "concise", "--output-file", str(out), str(tmp_path)], capture_output=True, env=env,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert b"normal exit" not in proc.stderr
    assert len(out.read_text().splitlines()) >= 80  # two findings in each of 40 files
    proc = subprocess.run([sys.executable, "-c", probe, "check", "--no-cache", "--jobs", "1", "--format",
                           "concise", str(tmp_path)], capture_output=True, env=env, timeout=300)
    assert proc.returncode == 1 and b"normal exit" not in proc.stderr
    assert sum(line.endswith("[*]") or " BN20" in line for line in proc.stdout.decode().splitlines()) == 80
    proc = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0 and b"normal exit" in proc.stderr


def test_a_reader_that_goes_away_is_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    for i in range(200):
        (tmp_path / f"m{i}.py").write_bytes(KERAS)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = subprocess.run(f"{sys.executable} -m bn_lint check --no-cache --format concise {tmp_path} | head -1",
                          shell=True, capture_output=True, env=env, timeout=300)
    assert proc.stdout.count(b"\n") == 1
    assert b"Traceback" not in proc.stderr, proc.stderr
