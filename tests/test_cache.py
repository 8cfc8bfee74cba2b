"""The result cache and the process pool: hits, misses, invalidation, and output independent of --jobs."""
from __future__ import annotations

import json
import multiprocessing
import textwrap
from pathlib import Path

import pytest

from bn_lint import runner
from bn_lint.cache import Cache
from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.project import Project

from tests.conftest import FIXTURES, run_cli

BAD = """
import torch.nn as nn

bn = nn.BatchNorm2d(64, momentum=0.99)
"""


@pytest.fixture
def counted(monkeypatch):
    """The paths actually checked (not answered from the cache) by the runner."""
    checked: list[str] = []
    real = runner.check_one

    def spy(checker, path, data):
        checked.append(Path(path).name)
        return real(checker, path, data)

    monkeypatch.setattr(runner, "check_one", spy)
    return checked


def _run(paths, settings, cache_dir, jobs=1):
    return runner.check_files([str(p) for p in paths], settings, jobs, Cache(cache_dir, settings))


def codes(results):
    return [f.code for f in results[0].findings]


def _summary(results):
    return [(Path(r.path).name, [(f.code, f.line, f.message) for f in r.findings], r.errors) for r in results]


def test_hit_miss_and_content_change(tmp_path, counted):
    settings = Settings(root=tmp_path)
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text(textwrap.dedent(BAD))
    b.write_text("x = 1\n")
    cache_dir = tmp_path / "cache"

    first = _run([a, b], settings, cache_dir)
    assert counted == ["a.py", "b.py"]
    assert [f.code for f in first[0].findings] == ["BN205"]

    counted.clear()
    second = _run([a, b], settings, cache_dir)
    assert counted == []  # both answered from the cache
    assert _summary(second) == _summary(first)
    assert second[0].findings == first[0].findings
    assert second[0].source is not None  # reporters print the finding's line

    a.write_text(textwrap.dedent(BAD).replace("0.99", "0.1"))
    counted.clear()
    third = _run([a, b], settings, cache_dir)
    assert counted == ["a.py"]  # only the edited file is checked again
    assert third[0].findings == []


def test_config_change_invalidates(tmp_path, counted):
    a = tmp_path / "a.py"
    a.write_text(textwrap.dedent(BAD))
    cache_dir = tmp_path / "cache"
    _run([a], Settings(root=tmp_path), cache_dir)
    counted.clear()
    ignored = _run([a], Settings(root=tmp_path, ignore=("BN205",)), cache_dir)
    assert counted == ["a.py"] and ignored[0].findings == []
    counted.clear()
    _run([a], Settings(root=tmp_path, min_batch_size=4), cache_dir)
    assert counted == ["a.py"]
    counted.clear()
    # output-only settings do not invalidate
    _run([a], Settings(root=tmp_path, format="json"), cache_dir)
    assert counted == []


def test_version_and_rule_set_are_in_the_key(tmp_path, monkeypatch):
    settings = Settings(root=tmp_path)
    base = Cache(tmp_path / "c", settings).salt
    assert Cache(tmp_path / "c", Settings(root=tmp_path, select=("BN2",))).salt != base
    import bn_lint.cache as cache_module

    monkeypatch.setattr(cache_module, "__version__", "999.0")
    assert Cache(tmp_path / "c", settings).salt != base
    monkeypatch.setattr(cache_module, "_package_fingerprint", lambda: "edited rules")
    assert Cache(tmp_path / "c", settings).salt != base


def test_imported_file_change_invalidates(tmp_path, counted):
    """A finding that depends on another project file is recomputed when that file changes."""
    (tmp_path / "pyproject.toml").write_text("")
    setup = tmp_path / "setup_dist.py"
    setup.write_text("import torch.distributed as dist\n\ndef start():\n    dist.init_process_group('nccl')\n")
    (tmp_path / "app").mkdir()
    train = tmp_path / "app" / "train.py"
    train.write_text(
        textwrap.dedent(
            """
            import torch
            import torch.nn as nn
            from torch.utils.data import DataLoader
            from setup_dist import start

            start()
            model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            loader = DataLoader(dataset, batch_size=64, shuffle=True)
            for x, y in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
            """
        )
    )
    settings = Settings(root=tmp_path)
    cache_dir = tmp_path / "cache"
    assert codes(_run([train], settings, cache_dir)) == []  # the process group is set up in setup_dist.py
    counted.clear()
    assert codes(_run([train], settings, cache_dir)) == [] and counted == []
    # setup_dist.py no longer starts a process group: train.py is checked again and now flagged
    setup.write_text("def start():\n    pass\n")
    counted.clear()
    assert codes(_run([train], settings, cache_dir)) == ["BN303"] and counted == ["train.py"]
    # a module that did not exist appears where the import looks first (next to train.py): checked again
    counted.clear()
    _run([train], settings, cache_dir)
    assert counted == []
    (tmp_path / "app" / "setup_dist.py").write_text("import torch.distributed as dist\ndist.init_process_group('gloo')\n")
    counted.clear()
    assert codes(_run([train], settings, cache_dir)) == [] and counted == ["train.py"]


def test_dependencies_are_the_lookup_closure(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text("from b import B\nclass A(B): pass\nA()\n")
    (tmp_path / "b.py").write_text("from c import C\nclass B(C): pass\n")
    (tmp_path / "c.py").write_text("import torch.nn as nn\nclass C(nn.Module): pass\n")
    (tmp_path / "other.py").write_text("from c import C\nC()\n")
    checker = Checker(Settings(root=tmp_path), Project(Settings(root=tmp_path)))
    from bn_lint.semantic.nn_modules.bearing import model_kind

    for name in ("other.py", "a.py"):
        model = checker.project.model(str(tmp_path / name))
        call = next(site.node for site in model.calls if site.node.func.value in ("A", "C"))
        model_kind(model, call, model.module_scope)
    deps = [Path(p).name for p in checker.project.dependencies(str(tmp_path / "a.py"))]
    assert "b.py" in deps and "c.py" in deps and "other.py" not in deps and "a.py" not in deps


def test_cache_directory_ignores_itself_and_survives_corruption(tmp_path, counted):
    a = tmp_path / "a.py"
    a.write_text(textwrap.dedent(BAD))
    cache_dir = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    _run([a], settings, cache_dir)
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    entries = [p for p in cache_dir.rglob("*.json")]
    assert len(entries) == 1
    assert not [p for p in cache_dir.rglob(".tmp-*")]  # no temporary files left behind
    entries[0].write_text('{"format": 1, "findings": [')  # a torn write
    counted.clear()
    again = _run([a], settings, cache_dir)
    assert counted == ["a.py"] and [f.code for f in again[0].findings] == ["BN205"]


def _share(args):
    root, cache_dir = args
    settings = Settings(root=Path(root))
    results = runner.check_files(sorted(str(p) for p in Path(root).glob("*.py")), settings, 1,
                                 Cache(cache_dir, settings))
    return _summary(results)


def test_concurrent_runs_share_a_cache(tmp_path):
    for i in range(30):
        (tmp_path / f"m{i}.py").write_text(textwrap.dedent(BAD) if i % 3 == 0 else f"x = {i}\n")
    cache_dir = str(tmp_path / "cache")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        outcomes = pool.map(_share, [(str(tmp_path), cache_dir)] * 8)
    assert all(outcome == outcomes[0] for outcome in outcomes)
    assert not list(Path(cache_dir).rglob(".tmp-*"))
    from bn_lint.cache import _read_entry

    for entry in Path(cache_dir).rglob("*.json"):
        _read_entry(entry)  # every entry complete: its checksum holds


def test_jobs_do_not_change_output(tmp_path, monkeypatch):
    """Findings with a pool are identical to a single-process run, cache off."""
    monkeypatch.setattr(runner, "POOL_MIN_FILES", 2)
    paths = sorted(str(p) for p in FIXTURES.rglob("*.py") if "runtime" not in p.parts)
    settings = Settings(root=FIXTURES.parent)
    one = runner.check_files(paths, settings, 1, None)
    many = runner.check_files(paths, settings, 3, None)
    assert [r.path for r in many] == paths
    assert [(r.findings, r.errors) for r in many] == [(r.findings, r.errors) for r in one]
    assert any(r.findings for r in one)


def test_cli_jobs_identical_output(tmp_path):
    args = ("check", "--format", "json", "--exit-zero", "--no-cache", str(FIXTURES))
    one = run_cli(*args, "--jobs", "1")
    many = run_cli(*args, "--jobs", "2")
    assert one.returncode == many.returncode == 0, one.stderr
    assert json.loads(one.stdout) == json.loads(many.stdout)


def test_cli_cache_dir_and_no_cache(tmp_path):
    (tmp_path / "a.py").write_text(textwrap.dedent(BAD))
    cache_dir = tmp_path / "c"
    first = run_cli("check", "--cache-dir", str(cache_dir), str(tmp_path / "a.py"), cwd=tmp_path)
    second = run_cli("check", "--cache-dir", str(cache_dir), str(tmp_path / "a.py"), cwd=tmp_path)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout and b"BN205" in first.stdout
    assert (cache_dir / ".gitignore").exists()
    other = tmp_path / "nocache"
    run_cli("check", "--no-cache", "--cache-dir", str(other), str(tmp_path / "a.py"), cwd=tmp_path)
    assert not other.exists()


def test_class_kind_is_independent_of_check_order(tmp_path):
    """Two classes that build each other: the answer must not depend on which is asked first."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text(
        "import torch.nn as nn\nfrom b import B\n\nclass A(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.b = B()\n        self.bn = nn.BatchNorm1d(3)\n"
    )
    (tmp_path / "b.py").write_text(
        "import torch.nn as nn\nfrom a import A\n\nclass B(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.a = A()\n"
    )
    from bn_lint.semantic.nn_modules.bearing import class_kind

    answers = []
    for order in (("a", "b"), ("b", "a")):
        project = Project(Settings(root=tmp_path))
        kinds = {}
        for name in order:
            model = project.model(str(tmp_path / f"{name}.py"))
            kinds[name] = class_kind(model, model.classes[name.upper()])
        answers.append(kinds)
    assert answers[0] == answers[1]
    assert answers[0]["b"] == answers[0]["a"] == "bn"


# ----------------------------------------------------------------- the project index
_EVALUATE = """
import torch
from models import Net

model = Net()
with torch.no_grad():
    out = model(torch.randn(2, 3, 8, 8))
"""
_MODELS = """
import torch.nn as nn
from layers import Block

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Block()
"""
_LAYERS_BN = "import torch.nn as nn\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.bn = nn.BatchNorm2d(3)\n"
_LAYERS_LN = _LAYERS_BN.replace("nn.BatchNorm2d(3)", "nn.GroupNorm(1, 3)")


@pytest.fixture
def parsed(monkeypatch):
    """The other project files parsed (not answered from the project index) during a check."""
    names: list[str] = []
    real = Project.model

    def spy(self, path):
        if str(Path(path).resolve()) not in self._models:
            names.append(Path(path).name)
        return real(self, path)

    monkeypatch.setattr(Project, "model", spy)
    return names


def test_project_index_answers_for_unchanged_files_and_follows_changes(tmp_path, parsed):
    (tmp_path / "pyproject.toml").write_text("")
    evaluate = tmp_path / "evaluate.py"
    evaluate.write_text(_EVALUATE)
    (tmp_path / "models.py").write_text(_MODELS)
    (tmp_path / "layers.py").write_text(_LAYERS_BN)
    settings, cache_dir = Settings(root=tmp_path), tmp_path / "cache"
    assert codes(_run([evaluate], settings, cache_dir)) == ["BN101"]
    assert sorted(parsed) == ["layers.py", "models.py"]
    assert len(list((cache_dir / "index").glob("*.json"))) == 2  # one entry per file looked up

    # the checked file changes: its result is worked out again, Net's kind comes from the index
    evaluate.write_text(_EVALUATE + "# edited\n")
    parsed.clear()
    assert codes(_run([evaluate], settings, cache_dir)) == ["BN101"]
    assert parsed == []

    # a file that Net's kind depends on changes (BatchNorm -> GroupNorm): the entry is stale
    (tmp_path / "layers.py").write_text(_LAYERS_LN)
    parsed.clear()
    assert codes(_run([evaluate], settings, cache_dir)) == []
    assert sorted(parsed) == ["layers.py", "models.py"]
    # and the result cached from an index answer still depends on layers.py
    (tmp_path / "layers.py").write_text(_LAYERS_BN)
    evaluate.write_text(_EVALUATE)
    _run([evaluate], settings, cache_dir)
    parsed.clear()
    (tmp_path / "layers.py").write_text(_LAYERS_LN)
    assert codes(_run([evaluate], settings, cache_dir)) == []


def test_no_cache_leaves_no_project_index(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "evaluate.py").write_text(_EVALUATE)
    (tmp_path / "models.py").write_text(_MODELS)
    (tmp_path / "layers.py").write_text(_LAYERS_BN)
    proc = run_cli("check", "--no-cache", str(tmp_path / "evaluate.py"), cwd=tmp_path)
    assert proc.returncode == 1 and b"BN101" in proc.stdout
    assert not (tmp_path / ".bn_lint_cache").exists()


def test_a_folder_dependency_changes_with_the_files_in_it(tmp_path):
    """A result that depends on which files a folder holds (a helper no sibling file mentions, a
    registry's entries) is stale once a file is added there."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    before = Cache(tmp_path / "c", Settings(root=tmp_path)).file_hash(str(folder))
    (folder / "b.py").write_text("y = 2\n")
    after = Cache(tmp_path / "c", Settings(root=tmp_path)).file_hash(str(folder))
    assert before is not None and after is not None and before != after


# a helper (`conv`) that builds a layer with a bias, and the class that puts BatchNorm after it
LAYERS_WITH_HELPER = textwrap.dedent("""
    import torch.nn as nn

    def conv(c_in, c_out):
        return nn.Conv1d(c_in, c_out, 3)

    class ConvBN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = conv(4, 8)
            self.bn = nn.BatchNorm1d(8)

        def forward(self, x):
            return self.bn(self.conv(x))
""")


def test_a_new_sibling_file_that_calls_the_helper_clears_the_cached_finding(tmp_path):
    (tmp_path / "layers.py").write_text(LAYERS_WITH_HELPER)
    settings = Settings(root=tmp_path)
    first = _run([tmp_path / "layers.py"], settings, tmp_path / "cache")
    assert [f.code for f in first[0].findings] == ["BN204"]
    (tmp_path / "head.py").write_text("from layers import conv\nhead = conv(8, 2)\n")
    second = _run([tmp_path / "layers.py"], settings, tmp_path / "cache")
    assert second[0].findings == []


_TRAIN = """
import torch
import torch.nn as nn
from blocks import WIDTH, make_head
from helpers import log_metrics, train_step

net = nn.Sequential(nn.Conv2d(3, WIDTH, 3, bias=False), nn.BatchNorm2d(32), make_head())
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for x in loader:
    train_step(net, x, opt)
    log_metrics(net, x)
"""
_BLOCKS = ("import torch.nn as nn\n\nWIDTH = {width}\n\ndef make_head():\n"
           "    head = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))\n    return head\n")
_HELPERS = """
def log_metrics(model, x):
    print(x.mean())

def train_step(model, x, opt):
    loss = model(x).sum()
    loss.backward()
    opt.step()
"""


def test_project_index_answers_helper_constant_and_training_questions(tmp_path, parsed):
    """Other files' constants, whether a function builds one layer, and whether it trains what it is
    given come from the index once worked out; only a function that does train is looked at again."""
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.py"
    train.write_text(_TRAIN)
    (tmp_path / "blocks.py").write_text(_BLOCKS.format(width=64))
    (tmp_path / "helpers.py").write_text(_HELPERS)
    settings, cache_dir = Settings(root=tmp_path), tmp_path / "cache"
    assert codes(_run([train], settings, cache_dir)) == ["BN201"]  # Conv2d(3, WIDTH = 64) -> BatchNorm2d(32)
    assert sorted(parsed) == ["blocks.py", "helpers.py"]

    train.write_text(_TRAIN + "# edited\n")
    parsed.clear()
    assert codes(_run([train], settings, cache_dir)) == ["BN201"]
    assert parsed == ["helpers.py"]  # (train_step trains its model: its summary is needed)

    train.write_text(_TRAIN.replace("    train_step(net, x, opt)\n", ""))
    parsed.clear()
    assert codes(_run([train], settings, cache_dir)) == ["BN201"]
    assert parsed == []

    (tmp_path / "blocks.py").write_text(_BLOCKS.format(width=32))  # the constant changes: asked again
    parsed.clear()
    assert codes(_run([train], settings, cache_dir)) == []
    assert parsed == ["blocks.py"]


_TRAIN_BUILT = """
import torch
from builders import build

model = build()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model.train()
for x, y in loader:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
"""
_BUILDERS = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 2)


def build():
    return Net()


def build_frozen():
    net = Net()
    for p in net.body.parameters():
        p.requires_grad = False
    return net
"""


@pytest.mark.parametrize("builder, expected", [("build", []), ("build_frozen", ["BN105"])])
def test_project_index_says_whether_a_builder_gives_its_model_back_frozen(tmp_path, builder, expected):
    """Whether another file's function gives back a model with frozen parts is kept in the index (a warm check
    of its caller asks it before working out the function's summary); a builder that freezes is still followed."""
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.py"
    train.write_text(_TRAIN_BUILT.replace("import build\n", f"import {builder} as build\n"))
    (tmp_path / "builders.py").write_text(_BUILDERS)
    settings, cache_dir = Settings(root=tmp_path), tmp_path / "cache"
    assert codes(_run([train], settings, cache_dir)) == expected
    index = Project(settings, Cache(cache_dir, settings))
    assert index.indexed(str(tmp_path / "builders.py"), "returns_frozen", builder) is bool(expected)
    train.write_text(train.read_text() + "# edited\n")
    assert codes(_run([train], settings, cache_dir)) == expected


def test_indexed_constants_keep_their_types():
    from bn_lint.semantic.shapes.producers import _from_json, _to_json
    from bn_lint.semantic.syntax.constants import UNKNOWN

    for value in (3, 2.5, "relu", None, True, (64, (1, 2), "x"), [1, [2, 3]], UNKNOWN):
        encoded = json.loads(json.dumps(_to_json(value)))
        assert _from_json(encoded) == value and type(_from_json(encoded)) is type(value)
    assert _from_json({"something": "else"}) is UNKNOWN


def test_a_dependency_whose_size_and_time_match_is_not_read_again(tmp_path, monkeypatch):
    """A recorded dependency is checked by size and mtime first; it is read (and hashed) only when one
    differs, so a same-size edit is still seen; a file changed within two seconds is always read."""
    import os

    from bn_lint import cache as cache_module

    dep = tmp_path / "dep.py"
    dep.write_text("WIDTH = 64\n")
    old = 1_600_000_000_000_000_000
    os.utime(dep, ns=(old, old))
    settings = Settings(root=tmp_path)
    recorded = Cache(tmp_path / "c", settings).fingerprint(str(dep))
    assert recorded[1:] == [dep.stat().st_size, old]

    caches = [Cache(tmp_path / "c", settings) for _ in range(5)]  # (building one hashes its settings)
    reads: list[str] = []
    real_digest = cache_module.digest
    monkeypatch.setattr(cache_module, "digest", lambda data: reads.append("read") or real_digest(data))
    assert caches[0].unchanged(str(dep), recorded) and reads == []

    dep.write_text("WIDTH = 32\n")  # same size, another content and time
    os.utime(dep, ns=(old + 10**9, old + 10**9))
    assert not caches[1].unchanged(str(dep), recorded) and reads == ["read"]

    dep.write_text("WIDTH = 16\n")  # just now: racy, recorded without size and time
    fresh = caches[2].fingerprint(str(dep))
    assert fresh[1:] == [-1, -1]
    reads.clear()
    assert caches[3].unchanged(str(dep), fresh) and reads == ["read"]
    missing = caches[4].fingerprint(str(tmp_path / "nope.py"))
    assert missing == [None, -1, -1] and caches[4].unchanged(str(tmp_path / "nope.py"), missing)


def test_a_file_looked_up_for_another_checked_file_is_not_parsed_again_when_checked(tmp_path, monkeypatch):
    """One run over evaluate.py and the layers.py it reaches: layers.py's model, parsed for evaluate.py's
    lookups, is the one its own check uses (a timm 1.0.31 run parsed 21 of its 178 files twice), with
    the findings of a run over layers.py alone. (A file with findings is parsed once more, by libcst
    itself, to report them: quick_tree.py.)"""
    from bn_lint.semantic.syntax import quick_tree

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "evaluate.py").write_text(_EVALUATE)
    (tmp_path / "models.py").write_text(_MODELS)
    layers = _LAYERS_BN.replace("self.bn = nn.BatchNorm2d(3)",
                                "self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(16))")
    (tmp_path / "layers.py").write_text(layers)
    settings = Settings(root=tmp_path)
    alone = _summary(runner.check_files([str(tmp_path / "layers.py")], settings, 1, None))
    parses: list[tuple[int, bool]] = []
    real = quick_tree.file_tree
    monkeypatch.setattr(quick_tree, "file_tree",
                        lambda text, exact=False: parses.append((len(text), exact)) or real(text, exact))
    results = runner.check_files([str(tmp_path / n) for n in ("evaluate.py", "layers.py", "models.py")], settings, 1, None)
    quick = sorted(size for size, exact in parses if not exact)
    assert quick == sorted(len(p.read_text()) for p in tmp_path.glob("*.py"))  # each file once
    assert sorted(size for size, exact in parses if exact) == sorted(len((tmp_path / n).read_text())
                                                                     for n in ("evaluate.py", "layers.py"))
    assert _summary(results)[1] == alone[0] and alone[0][1][0][0] == "BN201"
    assert [f.code for f in results[0].findings] == ["BN101"]


def test_a_helper_file_that_names_no_layer_class_is_not_parsed_to_learn_what_layer_it_builds(tmp_path, parsed):
    """``make_head()`` of a file whose text names no layer class the table knows builds none: the width
    analysis asks no parse of that file (it parsed every file a called function was imported from)."""
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.py"
    train.write_text("import torch.nn as nn\nfrom heads import make_head\nfrom blocks import conv\n\n"
                     "net = nn.Sequential(conv(3, 64), nn.BatchNorm2d(32), make_head())\n")
    (tmp_path / "heads.py").write_text("from registry import build\n\ndef make_head():\n    return build('head')\n")
    (tmp_path / "blocks.py").write_text("import torch.nn as nn\n\ndef conv(i, o):\n    return nn.Conv2d(i, o, 3, bias=False)\n")
    assert codes(_run([train], Settings(root=tmp_path), tmp_path / "cache")) == ["BN201"]
    assert parsed == ["blocks.py"]


def test_a_called_function_whose_code_returns_no_call_that_may_build_a_layer_is_not_parsed(tmp_path, parsed):
    """timm's `feature_take_indices` (returns a tuple; its docstring says "Return specified (...)") and
    `checkpoint_seq` (returns a call of a function defined inside it), in files that do name layer
    classes: what their text shows is enough, their files are not parsed for the width analysis."""
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.py"
    train.write_text("import torch.nn as nn\nfrom helpers import take, run, conv\n\n"
                     "net = nn.Sequential(conv(3, 64), nn.BatchNorm2d(32), take(4), run(3))\n")
    (tmp_path / "helpers.py").write_text(
        'import torch.nn as nn\n\n\ndef take(n):\n    """Return specified (n) indices."""\n    return set(range(n))\n\n\n'
        "def run(n):\n    def inner(x):\n        return x\n    return inner(n)\n\n\n"
        "def other():\n    return nn.Identity()\n")
    (tmp_path / "blocks.py").write_text("import torch.nn as nn\n\ndef conv(i, o):\n    return nn.Conv2d(i, o, 3, bias=False)\n")
    train.write_text(train.read_text().replace("from helpers import take, run, conv", "from helpers import take, run\nfrom blocks import conv"))
    assert codes(_run([train], Settings(root=tmp_path), tmp_path / "cache")) == ["BN201"]
    assert parsed == ["blocks.py"]


@pytest.mark.parametrize("annotation, parsed_files", [
    ("-> Tuple[List[int], int]", []),  # plain data: its file is not parsed to learn whether it gives back a model
    ("-> nn.Module", ["helpers.py"]),  # it may: read
    ("-> list", ["helpers.py"]),  # a bare container may hold modules
    ("", ["helpers.py"]),
])
def test_a_function_annotated_to_return_plain_data_is_not_parsed_for_a_model(tmp_path, parsed, annotation, parsed_files):
    """``take_indices, max_index = feature_take_indices(n, indices)`` (timm's ``forward_intermediates``):
    the mode analysis asks whether the tuple holds a model; a return annotation of numbers and
    containers of them says it does not, without parsing the function's file."""
    (tmp_path / "pyproject.toml").write_text("")
    prep = tmp_path / "prep.py"
    prep.write_text("import torchvision\nfrom helpers import take_indices\n\n"
                    "def prepare(n: int):\n    net = torchvision.models.resnet18()\n    net.eval()\n"
                    "    indices, last = take_indices(4, n)\n    return net, indices\n")
    (tmp_path / "helpers.py").write_text(
        f"import torch.nn as nn\nfrom typing import List, Tuple\n\n\ndef take_indices(num: int, n: int) {annotation}:\n"
        "    return list(range(num - n, num)), num - 1\n")
    assert codes(_run([prep], Settings(root=tmp_path), tmp_path / "cache")) == []
    assert parsed == parsed_files
