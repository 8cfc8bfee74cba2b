"""Issue 31: never a traceback, never a hang, never a lost report (one test per row of the reliability battery)."""
from __future__ import annotations

import errno
import json
import os
import signal
import stat
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import run_cli

GOOD = b"import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.99)\n"  # BN205 at 2:6


def _project(tmp_path, files: dict[str, bytes]) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\n")
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _codes(stdout: bytes) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for item in json.loads(stdout or b"[]"):
        found.setdefault(os.path.basename(item["path"]), []).append((item["code"], item["line"]))
    return found


# ------------------------------------------------------------------ D1 a pool worker dies
def _kill_one_worker(monkeypatch, victim: str) -> None:
    """Make the pool worker that checks ``victim`` die as the OOM killer would end it (SIGKILL)."""
    from bn_lint import runner

    parent = os.getpid()
    original = runner.check_one

    def dying(checker, path, data):
        if os.getpid() != parent and os.path.basename(path) == victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(checker, path, data)

    monkeypatch.setattr(runner, "check_one", dying)


@pytest.mark.parametrize("with_cache", [False, True])
def test_d1_pool_worker_killed_the_rest_is_checked_here(tmp_path, monkeypatch, capfd, with_cache):
    from bn_lint.cache import Cache
    from bn_lint.config import Settings
    from bn_lint.runner import POOL_MIN_FILES, check_files

    paths = []
    for i in range(POOL_MIN_FILES + 10):
        path = tmp_path / f"m{i:02}.py"
        path.write_bytes(GOOD)
        paths.append(str(path))
    _kill_one_worker(monkeypatch, "m05.py")
    settings = Settings(root=tmp_path)
    cache = Cache(tmp_path / "cache", settings) if with_cache else None
    results = check_files(paths, settings, jobs=2, cache=cache)
    assert [r.path for r in results] == paths
    assert all([f.code for f in r.findings] == ["BN205"] and not r.errors for r in results)
    assert "a worker process died" in capfd.readouterr().err  # (R7: said on stderr, not silent)


# ------------------------------------------------------------------ D2 deep nesting
ELIF = b"import torch.nn as nn\nif a:\n    pass\n" + b"elif a:\n    model.eval\n" * 599


@pytest.mark.parametrize("branches", [450, 599, 800])
def test_d2_long_elif_chain_is_checked_without_recursion_errors(tmp_path, branches):
    body = b"import torch.nn as nn\nbn = nn.BatchNorm2d(3, momentum=0.99)\nif a:\n    pass\n" \
           + b"elif a:\n    model.eval\n" * branches
    _project(tmp_path, {"e.py": body, "zz.py": GOOD})
    done = run_cli("check", "--no-cache", "--format", "json", "e.py", "zz.py", cwd=tmp_path)
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    assert done.returncode == 1
    found = _codes(done.stdout)
    assert found["zz.py"] == [("BN205", 2)]
    codes = {code for code, _ in found["e.py"]}
    assert "BN205" in codes and "BN102" in codes, found["e.py"][:5]  # the real findings, not lost


def test_d2_deep_file_in_the_pool_does_not_lose_the_others(tmp_path):
    files = {f"m{i:02}.py": GOOD for i in range(25)}
    files["e.py"] = ELIF
    _project(tmp_path, files)
    done = run_cli("check", "--no-cache", "--format", "json", "--jobs", "2", ".", cwd=tmp_path)
    assert "Traceback" not in done.stderr.decode() and done.returncode == 1
    found = _codes(done.stdout)
    assert all(found[f"m{i:02}.py"] == [("BN205", 2)] for i in range(25))


def test_d2_positions_exit_is_a_no_op_while_an_exception_propagates():
    from bn_lint.semantic.syntax.positions import _OffsetState
    import libcst as cst

    module = cst.parse_module("x = 1\n")
    state = _OffsetState(module)
    node = module.body[0]
    with pytest.raises(RecursionError):
        with state.record_syntactic_position(node, end_node=node):  # end_node never generated
            raise RecursionError
    assert id(node) not in state.spans


def test_d2_too_deep_for_the_analyses_is_one_clear_finding(tmp_path, monkeypatch):
    """Whatever still overflows (here: every rule) becomes one BN900 for that file; the others are checked."""
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.rules.bn205_keras_momentum import KerasMomentum

    def deep(self, model):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(KerasMomentum, "check", deep)
    result = Checker(Settings(root=tmp_path)).check_bytes("x.py", GOOD)
    assert [(f.code, f.line) for f in result.findings] == [("BN900", 1)] and not result.errors
    assert "nesting too deep" in result.findings[0].message


def test_d2_one_rule_too_deep_keeps_the_other_rules_findings(tmp_path, monkeypatch):
    """A rule whose analysis overflows is one BN900 naming it; what the other rules found in the file stands
    (a name rebound from itself, ``x = x * mask``, once made one analysis recurse and hid every finding)."""
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.rules.bn201_num_features_mismatch import NumFeaturesMismatch

    def deep(self, model):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(NumFeaturesMismatch, "check", deep)
    result = Checker(Settings(root=tmp_path)).check_bytes("x.py", GOOD)
    assert [(f.code, f.line) for f in result.findings] == [("BN900", 1), ("BN205", 2)] and not result.errors
    assert "nesting too deep" in result.findings[0].message and "BN201" in result.findings[0].message


def test_a_name_rebound_from_itself_is_followed_once(tmp_path):
    """``grids = grids * (grids > 0.5)`` before a loop over ``grids.shape[0]``: whether it broadcasts is asked of
    the value the name is bound to, which reads the name again; followed once, not without end (transfer batch
    14's 9003 lost its BN101 to a file-wide BN900)."""
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    code = (b"import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
            b"        super().__init__()\n        self.bn = nn.BatchNorm2d(3)\n\n    def forward(self, x):\n"
            b"        return self.bn(x)\n\n\n@torch.no_grad()\ndef to_masks(grids):\n"
            b"    grids = grids * (grids > 0.5)\n    for i in range(grids.shape[0]):\n        pass\n\n\n"
            b"@torch.no_grad()\ndef infer(model: Net, images):\n    return model(images)\n")
    result = Checker(Settings(root=tmp_path)).check_bytes("solo.py", code)
    assert [(f.code, f.line) for f in result.findings] == [("BN101", 23)] and not result.errors


def test_d2_any_exception_in_one_file_is_an_internal_error_for_that_file(tmp_path, monkeypatch):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.semantic.syntax import positions

    def broken(*args, **kwargs):
        raise KeyError(12345)

    monkeypatch.setattr(positions.Positions, "__init__", broken)
    result = Checker(Settings(root=tmp_path)).check_bytes("x.py", GOOD)
    assert result.errors and "internal error" in result.errors[0] and "KeyError" in result.errors[0]


# ------------------------------------------------------------------ D4 a negative size from another file
@pytest.mark.parametrize("size", ["-1", "3-5"])
def test_d4_negative_size_passed_to_an_imported_dataset_is_no_internal_error(tmp_path, size):
    _project(tmp_path, {
        "ds.py": b"class DS:\n    def __init__(self, n):\n        self.n = n\n\n    def __len__(self):\n        return self.n\n",
        "main.py": f"import torch\nfrom ds import DS\n\nloader = torch.utils.data.DataLoader(DS(n={size}), batch_size=4)\n"
                   .encode(),
    })
    done = run_cli("check", "--no-cache", "main.py", cwd=tmp_path)
    assert done.returncode == 0 and b"internal error" not in done.stderr, done.stderr


# ------------------------------------------------------------------ D13 huge ranges
def test_d13_range_longer_than_maxsize_is_no_internal_error(tmp_path):
    _project(tmp_path, {"r.py": b"import torch.nn as nn\n"
                                b"m = nn.Sequential(*[nn.BatchNorm2d(8) for _ in range(10**20)])\n"
                                b"n = nn.Sequential(*[nn.BatchNorm2d(8) for _ in range(-10**20, 10**20, 3)])\n"})
    done = run_cli("check", "--no-cache", "r.py", cwd=tmp_path)
    assert done.returncode == 0 and b"internal error" not in done.stderr, done.stderr


@pytest.mark.parametrize("expr", ["range(10**20)", "range(0, 10, 0)", "torch.arange(0, 10**20)", "torch.arange(0, 8, 0)"])
def test_d13_huge_or_empty_ranges_as_datasets_are_no_internal_error(tmp_path, expr):
    _project(tmp_path, {"r.py": f"import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
                                f"model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))\n"
                                f"loader = DataLoader({expr}, batch_size=4)\n"
                                f"model.train()\nfor x in loader:\n    model(x)\n".encode()})
    done = run_cli("check", "--no-cache", "r.py", cwd=tmp_path)
    assert done.returncode in (0, 1) and b"internal error" not in done.stderr, done.stderr


# ------------------------------------------------------------------ D5 output errors
def test_d5_output_file_into_a_missing_folder_is_created(tmp_path):
    _project(tmp_path, {"a.py": GOOD})
    done = run_cli("check", "--no-cache", "--format", "sarif", "-o", "reports/deep/bn.sarif", "a.py", cwd=tmp_path)
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
    assert json.loads((tmp_path / "reports/deep/bn.sarif").read_text())["runs"][0]["results"]


@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_d5_output_file_on_a_full_disk_is_one_line_exit_2_and_the_report_is_kept(tmp_path):
    _project(tmp_path, {"a.py": GOOD})
    done = run_cli("check", "--no-cache", "--format", "concise", "-o", "/dev/full", "a.py", cwd=tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr, stderr
    assert "cannot write" in stderr and "/dev/full" in stderr
    assert b"a.py:2:6: BN205" in done.stdout  # the report is not lost: printed instead


def test_d5_output_file_into_a_read_only_folder(tmp_path, monkeypatch):
    """(as root a read-only folder is writable: the write is made to fail the way it would)"""
    from click.testing import CliRunner

    from bn_lint import cli

    _project(tmp_path, {"a.py": GOOD})
    monkeypatch.chdir(tmp_path)
    real_open = open

    def refusing_open(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(tmp_path / "ro")) and "w" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    (tmp_path / "ro").mkdir()
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "--format", "json", "-o", str(tmp_path / "ro/out.json"), "a.py"])
    assert done.exit_code == 2 and done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "cannot write" in done.output and "Permission denied" in done.output
    assert '"code": "BN205"' in done.output


def test_d5_stdout_on_a_full_disk(tmp_path):
    _project(tmp_path, {"a.py": GOOD})
    import subprocess

    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "a.py"], cwd=tmp_path,
                              stdout=full, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 2 and b"Traceback" not in done.stderr, done.stderr
    assert b"cannot write" in done.stderr


# ------------------------------------------------------------------ D7 file names that are not UTF-8
NON_UTF8 = b"caf\xe9.py"


@pytest.mark.parametrize("fmt", ["full", "concise", "github", "json", "sarif", "junit"])
@pytest.mark.parametrize("to_file", [False, True])
def test_d7_non_utf8_file_name_in_every_format(tmp_path, fmt, to_file):
    _project(tmp_path, {})
    os.makedirs(os.fsencode(tmp_path / "n"))
    with open(os.path.join(os.fsencode(tmp_path / "n"), NON_UTF8), "wb") as handle:
        handle.write(GOOD)
    out = tmp_path / "out.txt"
    done = run_cli("check", "--no-cache", "--format", fmt, *(["-o", str(out)] if to_file else []), "n", cwd=tmp_path)
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
    data = out.read_bytes() if to_file else done.stdout
    if fmt in ("json", "sarif", "junit"):
        text = data.decode("utf-8")  # valid UTF-8, no lone surrogate
        assert "\udce9" not in text and "\\udce9" not in text
        if fmt == "junit":
            ET.fromstring(text)
        else:
            document = json.loads(text)
            if fmt == "sarif":
                uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                assert uri == "n/caf%E9.py"
            else:
                assert document[0]["path"] == "n/caf\\xe9.py"
    elif fmt == "github":
        assert b"file=n/caf\xe9.py,line=2,col=6" in data
    else:
        assert b"caf\xe9.py:2:6" in data  # the name's own bytes, as ls prints them


# ------------------------------------------------------------------ D9 an empty selection
@pytest.mark.parametrize("args,config", [
    (["--select", ""], "[tool.bn-lint]\n"),
    (["--select", " , "], "[tool.bn-lint]\n"),
    ([], "[tool.bn-lint]\nselect = []\n"),
    ([], "[tool.bn-lint]\nignore = ['BN']\n"),
])
def test_d9_empty_selection_is_a_usage_error(tmp_path, args, config):
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "a.py").write_bytes(GOOD)
    done = run_cli("check", "--no-cache", *args, "a.py", cwd=tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr and "no rule" in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ D16 crashes and Ctrl-C
def test_d16_a_crash_exits_2_with_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bn_lint import cli, runner

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "check_files", crash)
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, {"a.py": GOOD})
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "a.py"])
    assert done.exit_code == 2 and "internal error" in done.output and "RuntimeError: boom" in done.output
    assert "Traceback" not in done.output


def test_d16_ctrl_c_exits_130(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bn_lint import cli, runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "check_files", interrupted)
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, {"a.py": GOOD})
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "a.py"])
    assert done.exit_code == 130 and "interrupted" in done.output


def test_d16_sigint_to_a_real_run_exits_130(tmp_path):
    import subprocess
    import time

    _project(tmp_path, {f"m{i:03}.py": GOOD * 30 for i in range(300)})
    process = subprocess.Popen([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--jobs", "2", "."], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": os.getcwd()})
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 1 and b"Found" in stderr:  # (finished before the signal, on a fast machine)
        pytest.skip("finished before the signal")
    assert process.returncode == 130 and b"Traceback" not in stderr, stderr[-3000:]


# ------------------------------------------------------------------ D8 not a regular file
@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_d8_named_fifo_is_bn901_never_opened(tmp_path, cache):
    _project(tmp_path, {"good.py": GOOD})
    os.mkfifo(tmp_path / "x.py")
    done = run_cli("check", *cache, "--format", "json", "good.py", "x.py", cwd=tmp_path)  # (run_cli times out at 300 s)
    found = _codes(done.stdout)
    assert done.returncode == 1 and found["good.py"] == [("BN205", 2)]
    assert found["x.py"] == [("BN901", 1)]
    assert "not a regular file" in json.loads(done.stdout)[-1]["message"] or any(
        "not a regular file" in item["message"] for item in json.loads(done.stdout))


def test_d8_fifo_as_an_imported_project_module_does_not_hang(tmp_path):
    _project(tmp_path, {"main.py": b"import torch\nfrom helper import DS\nfrom torch.utils.data import DataLoader\n"
                                   b"loader = DataLoader(DS(), batch_size=1)\n" + GOOD})
    os.mkfifo(tmp_path / "helper.py")
    done = run_cli("check", "--format", "json", "main.py", cwd=tmp_path)
    assert done.returncode == 1 and b"Traceback" not in done.stderr


def test_d8_character_device_is_bn901(tmp_path):
    _project(tmp_path, {"good.py": GOOD})
    done = run_cli("check", "--no-cache", "--format", "json", "good.py", "/dev/zero", cwd=tmp_path)
    assert done.returncode == 1
    assert ("BN901", 1) in _codes(done.stdout)["zero"]


# ------------------------------------------------------------------ D6 size from stat, memory
def test_d6_huge_file_is_refused_from_stat_without_reading(tmp_path, monkeypatch):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    path = tmp_path / "huge.py"
    with open(path, "wb") as handle:
        handle.truncate(50 * 2**20)  # 50 MiB (sparse): never read, never compiled
    real_open = open

    def no_read(file, *args, **kwargs):
        assert os.fspath(file) != str(path), "the huge file was opened"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_read)
    monkeypatch.setattr(os, "open", lambda file, *a, **k: pytest.fail("opened") if os.fspath(file) == str(path) else os.open(file, *a, **k))
    result = Checker(Settings(root=tmp_path)).check_path(str(path))
    assert [(f.code, f.line) for f in result.findings] == [("BN901", 1)]
    assert "50.0 MiB is over the 2 MiB limit" in result.findings[0].message


def test_d6_over_the_limit_is_decided_before_the_compiler_check(tmp_path, monkeypatch):
    from bn_lint import engine
    from bn_lint.config import Settings

    def no_compile(text):
        raise AssertionError("compiled a file over the limit")

    monkeypatch.setattr(engine, "syntax_error", no_compile)
    checker = engine.Checker(Settings(root=tmp_path))
    row = b"    " + b", ".join([b"0.123456789"] * 12) + b",\n"
    data = b"WEIGHTS = [\n" + row * (3 * 2**20 // len(row)) + b"]\n"
    assert not checker.check_bytes("data.py", data).findings  # no trigger: nothing to check, not compiled
    result = checker.check_bytes("big.py", GOOD + data)
    assert [f.code for f in result.findings] == ["BN901"] and "over the 2 MiB limit" in result.findings[0].message


def test_d6_project_models_are_dropped_between_files(tmp_path):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.project import MODEL_LIMIT
    from bn_lint.runner import check_one

    checker = Checker(Settings(root=tmp_path))
    for i in range(MODEL_LIMIT + 20):
        (tmp_path / f"h{i}.py").write_bytes(b"import torch.nn as nn\nclass Net(nn.Module):\n    pass\n")
        (tmp_path / f"m{i}.py").write_bytes(f"from h{i} import Net\nnet = Net()\nnet.eval\n".encode())
        assert checker.project.model(str(tmp_path / f"h{i}.py")) is not None  # (a lookup from a checked file)
        check_one(checker, str(tmp_path / f"m{i}.py"), None)
        assert len(checker.project._models) <= MODEL_LIMIT


def test_d6_project_models_are_bounded_by_source_size_least_recently_used_first(tmp_path, monkeypatch):
    import bn_lint.project as project_module
    from bn_lint.project import Project

    body = "import torch.nn as nn\nclass Net(nn.Module):\n    pass\n" + "x = 1\n" * 200  # ~1,250 characters
    paths = []
    for i in range(6):
        paths.append(str(tmp_path / f"h{i}.py"))
        (tmp_path / f"h{i}.py").write_text(body)
    monkeypatch.setattr(project_module, "MODEL_CHARS", 3 * len(body))
    project = Project()
    for path in paths[:4]:
        assert project.model(path) is not None
    assert project.model(paths[0]) is not None  # used again: now the most recently used
    project.trim()
    held = [os.path.basename(key) for key, model in project._models.items() if model is not None]
    assert held == ["h2.py", "h3.py", "h0.py"]  # h1, the least recently used, dropped to fit the budget
    first = project.model(paths[1])  # parsed again when asked
    assert first is not None and "Net" in first.classes


def test_d6_a_files_text_is_read_once_for_its_class_def_and_assignment_lookups(tmp_path, monkeypatch):
    import bn_lint.project as project_module
    from bn_lint.project import Project

    path = tmp_path / "defs.py"
    path.write_text("class Net(Base):\n    async def forward(self): ...\nWIDTH: int = 64\nDEPTH == 3\nclass Netter: ...\n")
    reads = []
    real = project_module._read
    monkeypatch.setattr(project_module, "_read", lambda key: reads.append(key) or real(key))
    project = Project()
    asked = [project.may_define(str(path), "class", "Net"), project.may_define(str(path), "class", "Netter"),
             project.may_define(str(path), "class", "Ne"), project.may_define(str(path), "def", "forward"),
             project.may_define(str(path), "def", "Net"), project.may_assign(str(path), "WIDTH"),
             project.may_assign(str(path), "DEPTH"), project.may_assign(str(path), "WID")]
    assert asked == [True, True, False, True, False, True, False, False]
    assert len(reads) == 1


# ------------------------------------------------------------------ D11 CR-only line endings
def test_d11_cr_only_file_gets_bn102(tmp_path):
    _project(tmp_path, {"cr.py": b"import torch.nn as nn\rdef f(model):\r    model.eval\r    return model\r"})
    done = run_cli("check", "--no-cache", "--format", "json", "cr.py", cwd=tmp_path)
    assert _codes(done.stdout).get("cr.py") == [("BN102", 3)], done.stdout


def test_d11_cr_only_file_with_encoding_word_is_no_bn901(tmp_path):
    _project(tmp_path, {"cr2.py": b"# model\rimport os\rdef load(path, encoding=None):\r    return 1\r"})
    done = run_cli("check", "--no-cache", "--format", "json", "cr2.py", cwd=tmp_path)
    assert done.returncode == 0 and "cr2.py" not in _codes(done.stdout), done.stdout


def test_d11_cr_only_cookie_on_line_two_is_still_read():
    from bn_lint.source import decode

    assert decode(b"#!/usr/bin/env python\r# -*- coding: latin-1 -*-\rx = '\xe9'\r").text.endswith("x = '\xe9'\r")


# ------------------------------------------------------------------ the cache: checksums, clean, prune, location
def _cached_run(tmp_path, *extra):
    return run_cli("check", "--format", "json", "--cache-dir", str(tmp_path / "cache"), *extra, ".", cwd=tmp_path / "p")


def test_cache_entry_altered_but_valid_json_is_a_miss_never_a_result(tmp_path):
    _project(tmp_path / "p", {"a.py": GOOD, "b.py": b"import torch.nn as nn\nbn = nn.BatchNorm1d(4, momentum=0.9)\n"})
    reference = run_cli("check", "--format", "json", "--no-cache", ".", cwd=tmp_path / "p").stdout
    assert _cached_run(tmp_path).stdout == reference
    entries = [p for p in (tmp_path / "cache").rglob("*.json")]
    assert entries
    for entry in entries:  # one digit changed: still valid JSON
        data = entry.read_bytes()
        start = data.index(b"{")  # (the JSON, after any header)
        changed = data[start:].replace(b'"line":2', b'"line":3', 1).replace(b'"column":6', b'"column":7', 1)
        entry.write_bytes(data[:start] + changed)
    assert _cached_run(tmp_path).stdout == reference  # a bad checksum: recomputed
    assert _cached_run(tmp_path).stdout == reference  # ... and rewritten, not persisting


def test_cache_bn_lint_clean_removes_only_a_bn_lint_cache(tmp_path):
    _project(tmp_path / "p", {"a.py": GOOD})
    _cached_run(tmp_path)
    assert (tmp_path / "cache" / "CACHEDIR.TAG").exists()
    done = run_cli("clean", "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path / "p")
    assert done.returncode == 0 and b"removed" in done.stderr and not (tmp_path / "cache").exists()
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "x.txt").write_text("keep")
    done = run_cli("clean", "--cache-dir", str(tmp_path / "precious"), cwd=tmp_path / "p")
    assert done.returncode == 2 and b"not a bn-lint cache" in done.stderr and (tmp_path / "precious" / "x.txt").exists()
    run_cli("check", str(tmp_path / "p"), cwd=tmp_path)  # the default cache of the project
    assert (tmp_path / "p" / ".bn_lint_cache").is_dir()
    done = run_cli("clean", cwd=tmp_path / "p")
    assert done.returncode == 0 and not (tmp_path / "p" / ".bn_lint_cache").exists()


def test_cache_stale_entries_are_pruned(tmp_path):
    from bn_lint.cache_clean import prune

    _project(tmp_path / "p", {"a.py": GOOD, "b.py": GOOD})
    _cached_run(tmp_path)
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    old = time_now = __import__("time").time()
    os.utime(entries[0], (old - 40 * 86400, old - 40 * 86400))
    assert prune(tmp_path / "cache", now=time_now, force=True) == 1
    assert not entries[0].exists() and all(e.exists() for e in entries[1:])
    assert prune(tmp_path / "cache", now=time_now) == 0  # (at most once a day)
    assert _cached_run(tmp_path).returncode == 1


def test_cache_lands_in_the_project_root_not_the_working_directory(tmp_path):
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    (tmp_path / "proj" / ".git").mkdir()
    (tmp_path / "proj" / "sub" / "a.py").write_bytes(GOOD)
    (tmp_path / "elsewhere").mkdir()
    done = run_cli("check", str(tmp_path / "proj" / "sub" / "a.py"), cwd=tmp_path / "elsewhere")
    assert done.returncode == 1
    assert not (tmp_path / "elsewhere" / ".bn_lint_cache").exists()
    assert (tmp_path / "proj" / ".bn_lint_cache").is_dir()


# ------------------------------------------------------------------ writes under faults: full disk, read-only
def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_fault_cache_on_a_full_disk_loses_nothing(tmp_path, monkeypatch):
    from bn_lint.cache import Cache
    from bn_lint.config import Settings
    from bn_lint.runner import check_files

    _project(tmp_path, {"a.py": GOOD})
    monkeypatch.setattr(os, "replace", _enospc)
    settings = Settings(root=tmp_path)
    (result,) = check_files([str(tmp_path / "a.py")], settings, jobs=1, cache=Cache(tmp_path / "c", settings))
    assert [f.code for f in result.findings] == ["BN205"] and not result.errors
    assert not [p for p in (tmp_path / "c").rglob("*") if p.name.endswith(".bn-lint-tmp")]  # no debris


@pytest.mark.parametrize("fault", ["replace", "write"])
def test_fault_fix_on_a_full_disk_keeps_the_original_and_says_so(tmp_path, monkeypatch, fault):
    from click.testing import CliRunner

    from bn_lint import cli

    _project(tmp_path, {"a.py": GOOD})
    monkeypatch.chdir(tmp_path)
    if fault == "replace":
        monkeypatch.setattr(os, "replace", _enospc)
    else:
        real_write = os.write
        monkeypatch.setattr(os, "write", lambda fd, data: _enospc() if len(data) > 0 and fd > 2 else real_write(fd, data))
        import io as _io

        real_fdopen = os.fdopen

        def failing_fdopen(fd, mode="r", *args, **kwargs):
            stream = real_fdopen(fd, mode, *args, **kwargs)
            if "w" in mode:
                class Full(_io.BufferedWriter):
                    pass
                stream.write = lambda data: _enospc()  # type: ignore[method-assign]
            return stream

        monkeypatch.setattr(os, "fdopen", failing_fdopen)
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "--fix", "--unsafe-fixes", "a.py"])
    assert (tmp_path / "a.py").read_bytes() == GOOD  # the original intact
    assert done.exit_code == 2 and "No space left on device" in done.output and "fixes not written" in done.output
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".bn-lint-tmp")]


def test_fault_fix_in_a_read_only_folder_keeps_the_original(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bn_lint import atomic, cli

    _project(tmp_path, {"a.py": GOOD})
    monkeypatch.chdir(tmp_path)

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "--fix", "--unsafe-fixes", "a.py"])
    assert (tmp_path / "a.py").read_bytes() == GOOD
    assert done.exit_code == 2 and "Permission denied" in done.output


# ------------------------------------------------------------------ --fix keeps hard links
def test_fix_on_a_hard_linked_file_keeps_the_link(tmp_path):
    _project(tmp_path, {"a.py": GOOD})
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    (tmp_path / "a.py").chmod(0o640)
    before = os.stat(tmp_path / "a.py")
    done = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "a.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = os.stat(tmp_path / "a.py")
    assert after.st_ino == before.st_ino and after.st_nlink == 2
    assert (tmp_path / "b.py").read_bytes() == (tmp_path / "a.py").read_bytes() != GOOD
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".bn-lint-tmp")]


def test_fix_on_a_hard_linked_file_on_a_full_disk_restores_the_original(tmp_path, monkeypatch):
    from bn_lint import atomic

    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    os.link(path, tmp_path / "b.py")
    calls = []
    real = atomic._overwrite

    def full(target, data):
        calls.append(data)
        if len(calls) == 1:
            with open(target, "r+b") as stream:
                stream.write(data[:3])  # part written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    monkeypatch.setattr(atomic, "_overwrite", full)
    with pytest.raises(OSError, match="No space"):
        atomic.rewrite_in_place(str(path), b"y = 22222\n", b"x = 1\n")
    assert path.read_bytes() == b"x = 1\n" == (tmp_path / "b.py").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]


def test_d2_deep_calls_fall_back_when_no_large_thread_can_start(monkeypatch):
    import threading

    from bn_lint import deep

    monkeypatch.setattr(threading.Thread, "start", lambda self: (_ for _ in ()).throw(RuntimeError("can't start new thread")))
    assert deep.call(lambda x: x + 1, 1) == 2
    assert sys.getrecursionlimit() == deep.NORMAL_LIMIT


def test_d6_full_collections_follow_growth_not_a_file_count(tmp_path):
    """The oldest generation is collected by CPython's proportional rule (threshold 1: when what
    survived into it grew by a quarter), not every N files (a scan of every live object each time)."""
    import gc

    from bn_lint import runner
    from bn_lint.config import Settings

    (tmp_path / "a.py").write_bytes(GOOD)
    before = gc.get_threshold()
    try:
        runner.check_files([str(tmp_path / "a.py")], Settings(root=tmp_path), jobs=1)
        assert gc.get_threshold() == runner.GC_THRESHOLDS and runner.GC_THRESHOLDS[2] == 1
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_a_call_with_star_args_binds_argument_code_as_keys_not_syntax_nodes():
    """ultralytics `nn/tasks.py` (`self.predict(x, *args, **kwargs)`): BN105 raised an internal error
    (AttributeError: 'Name' object has no attribute 'partition') on the 23,529-file corpus run."""
    import libcst as cst

    from bn_lint.semantic.freezing.call_keys import bind_keys as _bind

    func = cst.parse_module("def predict(self, x, profile=False, *rest): ...\n").body[0]
    call = cst.parse_expression("self.predict(x, *args, **kwargs)")
    assert _bind(call, func, "self") == {"self": "self", "x": "x"}


def test_d6_the_pool_parent_keeps_no_file_content_and_sends_none_to_its_workers(tmp_path, monkeypatch):
    """The 23,529-file pool run: the parent held every file's bytes (read for the cache keys) and pickled
    them to the workers; it reached 4.6 GB. Workers read the files they check; the results are cached."""
    from bn_lint import runner
    from bn_lint.cache import Cache
    from bn_lint.config import Settings

    paths = []
    for i in range(runner.POOL_MIN_FILES + 5):
        path = tmp_path / f"m{i:02}.py"
        path.write_bytes(GOOD)
        paths.append(str(path))
    sent = []
    real = runner._in_pool
    monkeypatch.setattr(runner, "_in_pool", lambda tasks, *args: sent.extend(tasks) or real(tasks, *args))
    settings = Settings(root=tmp_path)
    results = runner.check_files(paths, settings, jobs=2, cache=Cache(tmp_path / "cache", settings))
    assert len(sent) == len(paths) and not any(isinstance(item, bytes) for task in sent for item in task)
    assert all([f.code for f in r.findings] == ["BN205"] for r in results)
    sent.clear()
    again = runner.check_files(paths, settings, jobs=2, cache=Cache(tmp_path / "cache", settings))
    assert sent == [] and [r.findings for r in again] == [r.findings for r in results]  # all from the cache


def test_a_file_changed_between_the_cache_lookup_and_its_check_is_not_cached(tmp_path, monkeypatch):
    from bn_lint import runner
    from bn_lint.cache import Cache
    from bn_lint.config import Settings

    path = tmp_path / "a.py"
    path.write_bytes(GOOD)
    real = runner._check_read

    def edited_meanwhile(checker, name, content):
        path.write_bytes(GOOD + b"# edited\n")
        return real(checker, name, content)

    monkeypatch.setattr(runner, "_check_read", edited_meanwhile)
    settings = Settings(root=tmp_path)
    cache = Cache(tmp_path / "cache", settings)
    (result,) = runner.check_files([str(path)], settings, jobs=1, cache=cache)
    assert [f.code for f in result.findings] == ["BN205"]
    assert cache.get(cache.key(str(path), GOOD)) is None  # (what was checked is not what the key names)
    assert cache.get(cache.key(str(path), GOOD + b"# edited\n")) is None
