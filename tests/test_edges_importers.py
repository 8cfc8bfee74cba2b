"""Issue 27 D2: checking a file also uses the call sites of its functions in the project's other files."""
from __future__ import annotations

import json

from conftest import FIXTURES, run_cli

MODEL = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))


def evaluate(model, loader):
    correct = 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct
"""
BROKEN = MODEL.replace("    model.eval()\n", "")  # the edit that introduces the bug: BN101 at line 19
TRAIN = """\
import torch

from cifarnet.model import Net, evaluate


def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(evaluate(model, val_loader))
"""


def project(tmp_path, model: str = BROKEN):
    (tmp_path / "cifarnet").mkdir()
    (tmp_path / "cifarnet" / "__init__.py").write_text("")
    (tmp_path / "cifarnet" / "model.py").write_text(model)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def test_d2_imported_modules_from_text():
    from bn_lint.importers import imported_modules

    text = b"import os, a.b as c\nfrom . import model, other as o\nfrom ..pkg.mod import (\n    x,\n    y as z,\n)\nfrom m import *\n"
    assert imported_modules(text) == {"os", "a.b", ".model", ".other", "..pkg.mod", "..pkg.mod.x", "..pkg.mod.y", "m"}


def test_d2_reverse_index_finds_the_importer(tmp_path):
    from bn_lint.importers import ReverseIndex
    from bn_lint.project import Project

    project(tmp_path)
    index = ReverseIndex(Project(), [str(tmp_path / "train.py"), str(tmp_path / "cifarnet" / "__init__.py")])
    assert index.importers(str(tmp_path / "cifarnet" / "model.py")) == [str((tmp_path / "train.py").resolve())]
    assert index.importers(str(tmp_path / "train.py")) == []


def test_d2_checking_the_helper_alone_uses_its_callers(tmp_path):
    project(tmp_path)
    for args in (["--no-cache"], []):  # (the second run twice: a cold and a warm cache)
        for _ in range(1 if args else 2):
            proc = run_cli("check", *args, "--format", "concise", "cifarnet/model.py", cwd=tmp_path)
            assert proc.returncode == 1, proc.stdout + proc.stderr
            first = proc.stdout.decode().splitlines()[0]
            # at the call in the helper (through its caller), or at its loop (an evaluation owns its mode)
            assert first.startswith(("cifarnet/model.py:19:25: BN101 `evaluate()`", "cifarnet/model.py:18:9: BN101")), first
    # what the importer finds in its own file is not reported: only what concerns the checked file
    (tmp_path / "train.py").write_text(TRAIN + "\n\ndef make(nn):\n    return nn.BatchNorm2d(8, momentum=0.9)\n")
    proc = run_cli("check", "--no-cache", "--format", "json", "cifarnet/model.py", cwd=tmp_path)
    # (the helper's loop and the call its caller reaches may both be reported: one bug, two places, known)
    assert {(f["path"], f["code"]) for f in json.loads(proc.stdout)} == {("cifarnet/model.py", "BN101")}


def test_d2_clean_helper_stays_clean(tmp_path):
    project(tmp_path, MODEL)
    proc = run_cli("check", "--no-cache", "cifarnet/model.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_d2_the_fixture_helper_alone():
    folder = FIXTURES / "bn1" / "eval_helper_elsewhere"
    proc = run_cli("check", "--no-cache", "--format", "concise", "loops.py", cwd=folder)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("loops.py:18:25: BN101")


def test_d2_importers_run_only_the_rules_that_can_report_in_another_file(tmp_path, monkeypatch):
    """A helper file checked alone: its importers are checked for what they find in it, so with the
    rules that can report in another file only (a full check of each importer cost a one-file run of
    timm's resnet.py 1.2 of its 1.9 s)."""
    from bn_lint import runner, session
    from bn_lint.resolve import Overrides, Resolver

    project(tmp_path)
    seen = []
    check_files = runner.check_files

    def spy(files, settings, *args, **kwargs):
        seen.append(([p.rsplit("/", 1)[-1] for p in files], settings))
        return check_files(files, settings, *args, **kwargs)

    monkeypatch.setattr(runner, "check_files", spy)
    monkeypatch.chdir(tmp_path)
    found = session.from_importers(["cifarnet/model.py"], Resolver(Overrides()), 1, lambda s: None)
    assert [(f.code, f.line) for f in found] == [("BN101", 19)]
    assert [names for names, _ in seen] == [["train.py"]]
    settings = seen[0][1]
    assert [code for code in ("BN101", "BN103", "BN105", "BN201", "BN301") if settings.is_selected(code)] == ["BN101", "BN105"]
    # ... and none at all where those rules are off
    seen.clear()
    assert session.from_importers(["cifarnet/model.py"], Resolver(Overrides(ignore=("BN101", "BN105"))), 1,
                                  lambda s: None) == []
    assert seen == []


def test_d2_every_rule_that_reports_in_another_file_says_so():
    """``reports_in_other_files`` is what the importers' check selects by: a rule that builds a
    report in another file's model (``Report(..., model=...)``) must set it."""
    import ast
    import inspect

    from bn_lint.registry import static_rules

    for rule in static_rules():
        package = inspect.getmodule(rule).__file__
        folder = package.rsplit("/", 1)[0] if package.endswith("__init__.py") else None
        files = sorted(__import__("pathlib").Path(folder).glob("*.py")) if folder else [package]
        elsewhere = any(
            isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Report"
            and any(k.arg == "model" for k in node.keywords)
            for path in files for node in ast.walk(ast.parse(open(path).read()))
        )
        assert rule.reports_in_other_files == elsewhere, rule.code


def test_d2_the_importers_git_grep_runs_while_the_files_are_checked(tmp_path, monkeypatch):
    """In a git work tree, the search for the checked file's importers (``git grep``) starts before the
    check and is waited for after it (a hook's one-file run had waited ~0.04 s for it at the end)."""
    import subprocess as sp

    from click.testing import CliRunner

    from bn_lint import cli, gitfiles, runner

    project(tmp_path)
    sp.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    events = []
    start, check_files = gitfiles._start_grep, runner.check_files

    def started(*args):
        events.append("grep started")
        finish = start(*args)
        return lambda: events.append("grep waited for") or finish()

    monkeypatch.setattr(gitfiles, "_start_grep", started)
    monkeypatch.setattr(runner, "check_files", lambda *a, **k: events.append("check") or check_files(*a, **k))
    monkeypatch.chdir(tmp_path)
    # (``--jobs 1``: one process; with more cores the importers are checked in a child, test below)
    done = CliRunner().invoke(cli.main, ["check", "--no-cache", "--jobs", "1", "--format", "concise", "cifarnet/model.py"])
    assert "cifarnet/model.py:19" in done.output and done.exit_code == 1
    assert events[:3] == ["grep started", "check", "grep waited for"]


def test_d2_the_importers_are_checked_in_a_child_beside_the_files(tmp_path, monkeypatch):
    """With another core, the importers' check runs in a forked child while the files are checked, and its
    findings are the ones the one-process run gives; a child that fails is run again in the parent."""
    import os

    from click.testing import CliRunner

    from bn_lint import cli, session

    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    parent, ran_in, from_importers = os.getpid(), [], session.from_importers

    def recorded(*args):
        ran_in.append("child" if os.getpid() != parent else "parent")
        if ran_in[-1] == "parent":  # (a child's list is its own: only the parent's entries are seen here)
            return from_importers(*args)
        if fail_in_child:
            os.kill(os.getpid(), 9)
        return from_importers(*args)

    monkeypatch.setattr(session, "from_importers", recorded)
    outputs = {}
    for jobs, fail_in_child in (("1", False), ("2", False), ("2", True)):
        ran_in.clear()
        done = CliRunner().invoke(cli.main, ["check", "--no-cache", "--jobs", jobs, "--format", "concise",
                                             "cifarnet/model.py"])
        assert done.exit_code == 1, done.output
        outputs[jobs, fail_in_child] = done.output
        assert ran_in == (["parent"] if jobs == "1" or fail_in_child else []), (jobs, fail_in_child, ran_in)
    assert "cifarnet/model.py:19" in outputs["1", False]  # (reported through train.py, its importer)
    assert outputs["1", False] == outputs["2", False] == outputs["2", True]


def test_d2_import_lines_kept_between_runs_are_read_again_once_a_file_changes(tmp_path):
    # a one-file check reads the import lines of every project file to find the file's importers; what it read is
    # kept in the cache folder (imports.json) by each file's size and time, so a later run reads only changed files
    import os

    from bn_lint.importers import ImportLines, ReverseIndex
    from bn_lint.project import Project

    project(tmp_path)
    train, model = str((tmp_path / "train.py").resolve()), str(tmp_path / "cifarnet" / "model.py")
    os.utime(train, ns=(10**18, 10**18))  # (older than the two seconds a change may still be racing)
    cache = tmp_path / "cache"
    cache.mkdir()
    first = ImportLines(cache)
    assert ReverseIndex(Project(), [train], first).importers(model) == [train]
    first.save()
    kept = json.loads((cache / "imports.json").read_text())
    assert "cifarnet.model" in kept[train][2]
    # a kept entry whose size and time still match is used without reading the file (here: one that says nothing)
    kept[train][2] = []
    (cache / "imports.json").write_text(json.dumps(kept))
    assert ReverseIndex(Project(), [train], ImportLines(cache)).importers(model) == []
    # once the file changes (its size), it is read again
    (tmp_path / "train.py").write_text(TRAIN + "\n")
    assert ReverseIndex(Project(), [train], ImportLines(cache)).importers(model) == [train]
