"""Warnings for ``# noqa`` comments that do nothing: malformed ones, and ones naming a bn-lint code that
suppresses no finding (as ruff's RUF100). Printed on stderr; they do not change the exit status.

Only files whose text holds such a comment are looked at again, without the result cache (which
keeps findings, not what was suppressed), together with their importers: a ``# noqa: BN101`` in a
helper may be used by a finding that a caller in another file brings about.
"""
from __future__ import annotations

import os
import re

from .resolve import Resolver
from .suppression import ALL, FILE, directives

_BN_CODE = re.compile(r"BN\d*$")


def audit(files: list[str], resolver: Resolver) -> list[str]:
    """One message per malformed or unused noqa directive in ``files``."""
    from .engine import Checker
    from .importers import find_importers

    checkers: dict = {}
    messages: list[str] = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if path.endswith(".ipynb") or b"noqa" not in data.lower():  # (a notebook's cells: not audited yet)
            continue
        from .source import UnreadableSource, decode

        try:
            text = decode(data).text
        except UnreadableSource:
            continue
        found = directives(text)
        named = [d for d in found if d.codes is not ALL and any(_BN_CODE.match(c) for c in d.codes)]
        messages += [f"{path}:{d.line}:{d.column}: {d.problem}" for d in found if d.problem]
        if not named:
            continue
        settings = resolver.for_path(path)
        checker = checkers.get(settings)
        if checker is None:
            checker = checkers[settings] = Checker(settings)
        checker.check_path(path)
        for importer in find_importers([path], resolver).get(path, ()):
            checker.check_path(importer)
        used = checker.noqa_used.get(os.path.realpath(path), set())
        for d in named:
            at = FILE if d.file_wide else d.line
            unused = [c for c in sorted(d.codes) if _BN_CODE.match(c) and _selected(settings, c)
                      and not any(line == at and code.startswith(c) for line, code in used)]
            if unused:
                messages.append(f"{path}:{d.line}:{d.column}: unused noqa directive (nothing to suppress: "
                                f"{', '.join(unused)})")
    return messages


def _selected(settings, prefix: str) -> bool:
    from .codes import KNOWN_CODES

    return any(code.startswith(prefix) and settings.is_selected(code) for code in KNOWN_CODES)

