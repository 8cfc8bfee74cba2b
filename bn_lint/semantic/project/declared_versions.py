"""Which version of a framework a project declares it runs on, where the framework's behaviour changed.

Lightning's ``trainer.fit(model)`` called ``model.train()`` before training until 2.2; since 2.2 (pull request
18951) it leaves every submodule's mode as it is, and its validation loop restores them afterwards. A part a
project puts in eval before ``fit`` stays frozen on Lightning >= 2.2 and is put back in training mode on older
versions. The declaration is read from the repository's dependency files (``pyproject.toml``, ``setup.py``,
``setup.cfg``, ``requirements*.txt``, ``environment.yml``); code written for 1.x only (``validation_epoch_end``,
``Trainer(gpus=...)``) says the older behaviour too.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

_DEPENDENCY_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "requirements/base.txt",
                     "requirements/requirements.txt", "environment.yml", "environment.yaml")
# a requirement of Lightning: `pytorch-lightning==1.5.10`, `lightning >= 2.0`, `pytorch_lightning<2.0,>=1.6`
_REQUIREMENT = re.compile(
    r"""(?im)(?<![\w.-])(?:pytorch[-_]lightning|lightning)\b(?![\w.-]*\s*=\s*[\[{])\s*(?:\[[^\]]*\])?\s*"""
    r"""((?:(?:==|>=|<=|~=|!=|<|>)\s*[\d.*]+\s*,?\s*)+)""")
_CLAUSE = re.compile(r"(==|>=|<=|~=|!=|<|>)\s*([\d.]+)")
# APIs Lightning 2.0 removed: code that uses them runs on 1.x
_ONE_X_ONLY = re.compile(r"\bdef\s+(?:validation|training|test)_epoch_end\s*\(|\bTrainer\s*\([^)]*\bgpus\s*=")
_KEEPS_MODES_SINCE = (2, 2)


def lightning_fit_keeps_modes(model: "FileModel") -> bool | None:
    """True when the project runs on Lightning >= 2.2 (``fit`` leaves modes alone), False when on an older one
    (``fit`` calls ``.train()``), None when the code and its declarations do not say."""
    if _ONE_X_ONLY.search(model.source):
        return False
    project = model.project
    if project is None:
        return None
    root = str(project.root_for(model.path))
    cache = project.__dict__.setdefault("_lightning_keeps_modes", {})
    if root not in cache:
        cache[root] = _declared(root)
    found, read = cache[root]
    project.edges.setdefault(os.path.abspath(model.path), set()).update(read)  # (the result depends on them)
    return found


def _declared(root: str) -> tuple[bool | None, list[str]]:
    read: list[str] = []
    verdicts: set[bool] = set()
    for name in _DEPENDENCY_FILES:
        path = os.path.join(root, name)
        read.append(path)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(200_000)
        except OSError:
            continue
        for match in _REQUIREMENT.finditer(text):
            verdict = _keeps_modes(match.group(1))
            if verdict is not None:
                verdicts.add(verdict)
    return (verdicts.pop() if len(verdicts) == 1 else None), read


def _keeps_modes(spec: str) -> bool | None:
    """True when every version ``spec`` allows is >= 2.2, False when every one is older, else None."""
    low = high = None  # (the bounds: low inclusive, high exclusive, as version tuples)
    for op, text in _CLAUSE.findall(spec):
        version = tuple(int(part) for part in text.strip(".").split(".") if part.isdigit())[:2]
        version = version + (0,) * (2 - len(version))
        if op in ("==", "~="):
            low = max(low or version, version)
            if op == "==":
                high = (version[0], version[1] + 1)
        elif op in (">=", ">"):
            low = max(low or version, version)
        elif op in ("<", "<="):
            bound = version if op == "<" else (version[0], version[1] + 1)
            high = min(high or bound, bound)
    if low is not None and low >= _KEEPS_MODES_SINCE:
        return True
    if high is not None and high <= _KEEPS_MODES_SINCE:
        return False
    return None
