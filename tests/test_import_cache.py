"""The compiled-code cache for libcst's dataclasses: same classes, same findings, any cache state."""
from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys

import pytest

from bn_lint import import_cache
from conftest import FIXTURES, ROOT


def define_point():
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        y: int = 2

        def norm(self) -> int:
            return self.x + self.y

    return Point


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_classes_built_from_cached_code_behave_like_plain_ones(user_cache):
    plain = define_point()
    with import_cache.cached_dataclass_code():
        first = define_point()  # compiles and stores
    assert "exec" not in vars(dataclasses)
    assert os.path.exists(import_cache.cache_file())
    with import_cache.cached_dataclass_code():
        second = define_point()  # served from the file
    for cls in (first, second):
        point = cls(1)
        assert point == cls(1, 2) and point != cls(2) and point.norm() == plain(1).norm() == 3
        assert repr(point) == repr(plain(1)).replace(plain.__qualname__, cls.__qualname__)
        assert hash(point) == hash(cls(1, 2))
        with pytest.raises(dataclasses.FrozenInstanceError):
            point.x = 5
        assert cls.__init__.__annotations__ == plain.__init__.__annotations__  # no inherited future flags


def test_second_use_compiles_nothing(user_cache, monkeypatch):
    with import_cache.cached_dataclass_code():
        define_point()
    stored = open(import_cache.cache_file(), "rb").read()
    compiled = []
    real_compile = compile
    monkeypatch.setattr(import_cache, "compile", lambda *a, **k: compiled.append(a) or real_compile(*a, **k),
                        raising=False)
    with import_cache.cached_dataclass_code():
        define_point()
    assert compiled == [] and open(import_cache.cache_file(), "rb").read() == stored


def test_code_no_run_uses_is_dropped_when_new_code_is_written(user_cache):
    path = import_cache.cache_file()
    os.makedirs(os.path.dirname(path))
    stale = {bytes([n]) * 16: compile(f"x = {n}", "<string>", "exec") for n in range(50)}  # an old version's code
    with open(path, "wb") as stream:
        stream.write(marshal.dumps(stale))
    with import_cache.cached_dataclass_code():
        define_point()
    kept = marshal.loads(open(path, "rb").read())
    assert kept and not set(kept) & set(stale)  # only what the run used and added
    with open(path, "wb") as stream:
        stream.write(marshal.dumps({**kept, **dict(list(stale.items())[:2])}))  # a little unused code stays
    with import_cache.cached_dataclass_code():
        define_point()

        @dataclasses.dataclass
        class Other:
            z: str
    assert set(stale) & set(marshal.loads(open(path, "rb").read())) == set(list(stale)[:2])


@pytest.mark.parametrize("content", [b"", b"garbage\x00\xff", marshal.dumps([1, 2]), marshal.dumps({b"k": 3})],
                         ids=["empty", "garbage", "not-a-dict", "not-code"])
def test_a_broken_cache_file_is_rebuilt(user_cache, content):
    path = import_cache.cache_file()
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as stream:
        stream.write(content)
    with import_cache.cached_dataclass_code():
        assert define_point()(1).norm() == 3
    assert isinstance(marshal.loads(open(path, "rb").read()), dict)


def test_a_patch_already_in_place_is_left_alone(user_cache):
    with import_cache.cached_dataclass_code():
        mine = dataclasses.exec
        with import_cache.cached_dataclass_code():
            assert dataclasses.exec is mine
        assert dataclasses.exec is mine
    assert "exec" not in vars(dataclasses)


def check(env_cache, *paths):
    return subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "concise", *paths],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "XDG_CACHE_HOME": env_cache})


def test_findings_are_the_same_with_a_cold_warm_broken_or_unwritable_cache(tmp_path):
    target = str(FIXTURES / "bn2")
    cache = str(tmp_path / "xdg")
    cold = check(cache, target)
    files = os.listdir(os.path.join(cache, "bn-lint"))
    assert cold.returncode == 1 and cold.stdout.count("BN2") >= 5 and len(files) == 1
    warm = check(cache, target)
    path = os.path.join(cache, "bn-lint", files[0])
    with open(path, "r+b") as stream:
        stream.truncate(100)
    broken = check(cache, target)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    unwritable = check(str(blocked), target)
    for run in (warm, broken, unwritable):
        assert (run.returncode, run.stdout, run.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_the_command_serves_bn_lints_own_dataclasses_from_the_cache_too(tmp_path):
    """Every dataclass the command defines, bn-lint's own (57, 0.034 s of a 0.6 s one-file run) as well
    as libcst's: after one run, the cache holds the code of ``Finding.__init__``, and a second run
    compiles no dataclass code."""
    cache = str(tmp_path / "xdg")
    first = check(cache, str(FIXTURES / "bn2"))
    path = os.path.join(cache, "bn-lint", os.listdir(os.path.join(cache, "bn-lint"))[0])
    stored = marshal.loads(open(path, "rb").read())

    def functions(code):
        for const in code.co_consts:
            if hasattr(const, "co_code"):
                yield const
                yield from functions(const)

    made = {(f.co_name, f.co_varnames[:f.co_argcount]) for code in stored.values() for f in functions(code)}
    assert ("__init__", ("self", "code", "name", "severity", "path", "line", "column")) in {
        (name, args[:7]) for name, args in made}
    before = open(path, "rb").read()
    second = check(cache, str(FIXTURES / "bn2"))
    assert open(path, "rb").read() == before and second.stdout == first.stdout
