"""Command-line defects (N8-N13, R8, R11, R12): each test failed before its fix."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli


# N8: a setting written in the configuration is the configuration's, even when it equals the default
def test_show_settings_names_the_configuration_for_a_value_equal_to_the_default(tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.bn-lint]\nselect = ["BN"]\nmin-batch-size = 8\nignore = ["BN204"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    out = run_cli("check", "--show-settings", str(tmp_path / "a.py")).stdout.decode()
    assert f'select = ["BN"]  # {config}' in out
    assert f"min-batch-size = 8  # {config}" in out
    assert 'format = "full"  # default' in out
    # the command line wins, even with the value the file gives; an added `--ignore` is both
    out = run_cli("check", "--show-settings", "--select", "BN", "--ignore", "BN205", str(tmp_path / "a.py")).stdout.decode()
    assert 'select = ["BN"]  # command line' in out
    assert f'ignore = ["BN204", "BN205"]  # {config} + command line' in out


# N9: a symlink loop is a file bn-lint cannot read (BN901), named or found, in a git work tree or not
@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
@pytest.mark.parametrize("in_git", [False, True])
def test_a_symlink_loop_is_bn901_never_an_internal_error(tmp_path, in_git):
    if in_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    for args, count in ((["loop.py"], 1), (["a.py"], 1), (["."], 3)):
        done = run_cli("check", "--format", "concise", *args, cwd=tmp_path)  # (with the cache: its folder is found)
        out, err = done.stdout.decode(), done.stderr.decode()
        assert "internal error" not in err, err
        assert done.returncode == 1, (args, out, err)
        lines = out.splitlines()
        assert len(lines) == count and all("BN901 cannot read file: " in line for line in lines), lines


# N11: `clean DIR` removes the caches that checks of files below DIR made (in those files' own roots)
@pytest.mark.parametrize("marker", [None, "pyproject.toml"])
def test_clean_dir_removes_the_cache_of_a_check_of_a_file_below_it(tmp_path, marker):
    sub = tmp_path / "d" / "sub"
    sub.mkdir(parents=True)
    if marker:
        (sub / marker).write_text("")
    (sub / "file.py").write_text("import torch.nn as nn\nbn = nn.BatchNorm2d(8, momentum=0.9)\n")
    run_cli("check", "d/sub/file.py", cwd=tmp_path)
    assert (sub / ".bn_lint_cache" / "CACHEDIR.TAG").is_file()
    done = run_cli("clean", "d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (sub / ".bn_lint_cache").exists(), done.stderr
    assert "removed d/sub/.bn_lint_cache" in done.stderr.decode()
    foreign = tmp_path / "d" / "other" / ".bn_lint_cache"  # a folder of that name bn-lint did not tag: kept
    foreign.mkdir(parents=True)
    assert run_cli("clean", "d", cwd=tmp_path).returncode == 0 and foreign.is_dir()


# N13: a noqa naming a BN code bn-lint does not have is warned about (as ruff's RUF100 "unknown"); exit unchanged
def test_noqa_with_an_unknown_bn_code_is_warned_about(tmp_path):
    (tmp_path / "a.py").write_text(
        "import torch.nn as nn\n"
        "bn = nn.BatchNorm2d(8, momentum=0.9)  # noqa: BN999, BN205, E501\n"
        "x = 1  # noqa: bn99\n"
        "# bn-lint: noqa: BN777\n"
    )
    done = run_cli("check", "--no-cache", "a.py", cwd=tmp_path)
    err = done.stderr.decode()
    assert done.returncode == 0, err  # (BN205 suppressed; warnings never fail the run)
    warnings = [line for line in err.splitlines() if "unknown bn-lint code" in line]
    assert [w.split(": warning: ")[1].split(":")[:2] for w in warnings] == [["a.py", "2"], ["a.py", "3"], ["a.py", "4"]]
    assert warnings[0].endswith(": BN999") and warnings[1].endswith(": BN99") and warnings[2].endswith(": BN777")
    assert "E501" not in err  # (another tool's code: not bn-lint's to judge)


# N10, R12: a file over the size limit is one bn-lint cannot check: BN901 unreadable-file, said the same way
# for a .py file and a notebook
def test_an_over_size_file_is_unreadable_file_bn901_for_python_and_notebooks(tmp_path):
    trigger = b"import torch.nn as nn\nbn = nn.BatchNorm2d(8)\n"
    (tmp_path / "big.py").write_bytes(trigger + b"#" * (3 * 2**20) + b"\n")  # over 2 MiB: read, not checked
    with open(tmp_path / "huge.py", "wb") as handle:
        handle.truncate(9 * 2**20)  # over 8 MiB: not even read
    with open(tmp_path / "huge.ipynb", "wb") as handle:
        handle.truncate(9 * 2**20)
    done = run_cli("check", "--no-cache", "--format", "json", "big.py", "huge.py", "huge.ipynb", cwd=tmp_path)
    found = {f["path"]: f for f in json.loads(done.stdout)}
    assert sorted(found) == ["big.py", "huge.ipynb", "huge.py"]
    for path, finding in found.items():
        assert (finding["code"], finding["name"]) == ("BN901", "unreadable-file"), finding
        assert finding["message"].startswith("file not checked: "), finding
    assert found["huge.py"]["message"] == "file not checked: 9.0 MiB is over the 2 MiB limit"
    assert found["huge.ipynb"]["message"] == "file not checked: 9.0 MiB is over the 8 MiB limit"  # (a notebook's)


# R11: JSON gives a name that is not UTF-8 exactly: `path` escaped for people, `path_bytes` its bytes percent-encoded
@pytest.mark.skipif(os.name == "nt" or os.uname().sysname == "Darwin", reason="file names are bytes")
def test_json_gives_a_non_utf8_file_name_losslessly(tmp_path):
    from urllib.parse import unquote_to_bytes

    keras = b"import torch.nn as nn\nbn = nn.BatchNorm2d(8, momentum=0.9)\n"
    os.makedirs(os.fsencode(tmp_path / "n"))
    for name in (b"caf\xe9.py", b"caf\\xe9.py", b"a%E9.py"):  # (the second: a real backslash, the same display)
        with open(os.path.join(os.fsencode(tmp_path / "n"), name), "wb") as handle:
            handle.write(keras)
    done = run_cli("check", "--no-cache", "--format", "json", "n", cwd=tmp_path)
    document = json.loads(done.stdout.decode("utf-8"))
    names = set()
    for finding in document:
        if "path_bytes" in finding:
            name = unquote_to_bytes(finding["path_bytes"])
        else:
            name = os.fsencode(finding["path"])
        names.add(name)
        assert os.path.isfile(os.path.join(os.fsencode(tmp_path), name)), finding
    assert names == {b"n/caf\xe9.py", b"n/caf\\xe9.py", b"n/a%E9.py"}
    (escaped,) = [f for f in document if "path_bytes" in f]
    assert (escaped["path"], escaped["path_bytes"]) == ("n/caf\\xe9.py", "n/caf%E9.py")


# R8: the cache records the import candidates that do not exist by folder, as the highest missing path
# (``pkg/hparams`` for ``pkg/hparams/__init__.py``, ``pkg/hparams/x.py``, ...), not one [null, -1, -1] each;
# a candidate that appears is still seen (through the folder's stamp, or name by name)
def _entries(folder: Path) -> list[dict]:
    from bn_lint.cache import _read_entry

    return [_read_entry(p) for p in folder.glob("??/*.json")]


@pytest.mark.parametrize("stamped", [False, True])
def test_cache_keeps_missing_import_candidates_compact_and_still_sees_them_appear(tmp_path, monkeypatch, stamped):
    import time

    from bn_lint import cache as cache_module
    from bn_lint import runner
    from bn_lint.cache import Cache
    from bn_lint.config import Settings

    if stamped:  # (a folder changed in the last two seconds is looked at name by name: here, not)
        monkeypatch.setattr(cache_module, "_RACY_NS", 0)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    modules = [f"lib{i}.part.leaf" for i in range(40)]
    source = "".join(f"import {m}\n" for m in modules) + \
        "import torch.nn as nn\nfrom hparams import MOMENTUM\n\nbn = nn.BatchNorm2d(8, momentum=MOMENTUM)\n"
    (tmp_path / "pkg" / "a.py").write_text(source)
    settings = Settings(root=tmp_path)

    def run():
        results = runner.check_files([str(tmp_path / "pkg" / "a.py")], settings, 1, Cache(tmp_path / "c", settings))
        return [f.code for f in results[0].findings]

    assert run() == []
    (entry,) = _entries(tmp_path / "c")
    if "deps_ref" in entry:  # (a record shared by the entries that have the same one)
        from bn_lint.cache import _read_entry

        ref = entry["deps_ref"]
        entry = _read_entry(tmp_path / "c" / "deps" / ref[:2] / f"{ref}.json")
    from bn_lint.cache import _unpacked

    present = [os.path.join(folder, name) for folder, names in entry["deps"].items() for name in names]
    assert all(Path(dep).exists() for dep in present), [d for d in present if not Path(d).exists()]
    names = [name for _, folder_names in entry["absent"].values() for name in _unpacked(folder_names)]
    assert len(names) <= 2 * (len(modules) + 1) * len(entry["absent"]), entry["absent"]
    assert not any("/" in name or "leaf" in name for name in names)  # (lib0/part/leaf.py: under lib0, missing)
    assert "hparams/" in entry["absent"][str(tmp_path / "pkg")][1]  # (hparams and hparams.py: one name)
    assert len(json.dumps(entry)) < 8000, entry
    assert all((stamp != -1) == stamped for stamp, _ in entry["absent"].values()), entry["absent"]
    time.sleep(0.05)  # (past the file system's timestamp tick)
    (tmp_path / "pkg" / "hparams").mkdir()
    (tmp_path / "pkg" / "hparams" / "__init__.py").write_text("MOMENTUM = 0.9\n")
    assert run() == ["BN205"]


# N14: every static rule's page has "Use instead", "Options" and "References", from fields of the rule
_HEADER = """import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
from torchvision.models import resnet18
"""


def _static_rules():
    from bn_lint.registry import all_rules

    return [rule for rule in all_rules() if rule.is_static()]


@pytest.mark.parametrize("rule", _static_rules(), ids=lambda rule: rule.code)
def test_rule_page_has_use_instead_options_and_references(rule):
    import ast
    import textwrap

    from helpers import check_code

    from bn_lint.rule import OPTION_DOCS

    page = rule.docs_markdown()
    for heading in ("Use instead:", "## Options", "## References"):
        assert heading in page, (rule.code, heading)
    assert rule.references and all(url.startswith("https://") and title for title, url in rule.references)
    assert all(f"- [{title}]({url})" in page for title, url in rule.references)
    assert set(rule.options) <= set(OPTION_DOCS)
    corrected = textwrap.dedent(rule.use_instead).strip()
    assert corrected and corrected != textwrap.dedent(rule.example).strip()
    ast.parse(_HEADER + corrected)
    assert [f.code for f in check_code(_HEADER + corrected + "\n", select=(rule.code,))] == []  # (corrected: silent)
    with open(Path(__file__).parent.parent / "rules" / f"{rule.code}.md", encoding="utf-8") as handle:
        assert handle.read() == page  # (the generated page: `python -m bn_lint.docs`)


def test_rule_pages_list_the_fix_settings_of_fixable_rules_and_min_batch_size_where_it_counts():
    from bn_lint.registry import rule_by_code

    assert "- `min-batch-size`:" in rule_by_code("BN301").docs_markdown()
    assert "- `unsafe-fixes`:" in rule_by_code("BN205").docs_markdown()  # (an unsafe fix)
    assert "- `fixable`:" in rule_by_code("BN102").docs_markdown() and "unsafe-fixes" not in rule_by_code("BN102").docs_markdown()
    assert "None of its own" in rule_by_code("BN101").docs_markdown()


def test_cache_entries_with_the_same_dependencies_share_one_record_and_a_damaged_one_is_a_miss(tmp_path, monkeypatch):
    from bn_lint import runner
    from bn_lint.cache import Cache
    from bn_lint.config import Settings

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg").mkdir()
    imports = "".join(f"from lib{i}.part import m{i}\n" for i in range(60)) + "import torch.nn as nn\n"
    imports += "".join(f"bn{i} = nn.BatchNorm2d(8, momentum=m{i})\n" for i in range(60))  # (60 lookups, none found)
    (tmp_path / "pkg" / "a.py").write_text(imports + "bn = nn.BatchNorm2d(8, momentum=0.9)\n")
    (tmp_path / "pkg" / "b.py").write_text(imports + "bn = nn.BatchNorm1d(4, momentum=0.99)\n")
    settings = Settings(root=tmp_path)
    checked: list[str] = []
    real = runner.check_one
    monkeypatch.setattr(runner, "check_one", lambda c, p, d: (checked.append(Path(p).name), real(c, p, d))[1])

    def run():
        results = runner.check_files([str(tmp_path / "pkg" / n) for n in ("a.py", "b.py")], settings, 1,
                                     Cache(tmp_path / "c", settings))
        return [[f.code for f in r.findings] for r in results]

    assert run() == [["BN205"], ["BN205"]]
    entries = _entries(tmp_path / "c")
    assert len(entries) == 2 and entries[0]["deps_ref"] == entries[1]["deps_ref"]
    (record,) = (tmp_path / "c" / "deps").glob("??/*.json")
    checked.clear()
    assert run() == [["BN205"], ["BN205"]] and checked == []  # (hits)
    record.write_bytes(record.read_bytes()[:-20])  # damaged: both entries are misses, checked and stored again
    assert run() == [["BN205"], ["BN205"]] and checked == ["a.py", "b.py"]
    checked.clear()
    assert run() == [["BN205"], ["BN205"]] and checked == []
