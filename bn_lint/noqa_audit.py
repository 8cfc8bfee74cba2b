"""Warnings for ``# noqa`` comments that do nothing: malformed ones, ones naming a bn-lint code that
suppresses no finding, and ones naming a ``BN`` code bn-lint does not have (as ruff's RUF100, "unknown").
Printed on stderr; they do not change the exit status.

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
_NOQA = re.compile(rb"noqa", re.IGNORECASE)
# what may follow `noqa` in a directive that can be neither malformed nor name a bn-lint code:
# `: E501, W291` (no BN code), or nothing that looks like a colon or a code (a bare `# noqa`)
_PLAIN = re.compile(rb"(?::[ \t]*(?![Bb][Nn])[A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*(?![Bb][Nn])[A-Za-z]+[0-9]+)*(?![\w,:])"
                    rb"|(?![ \t]*:)(?![ \t]+[A-Za-z]+[0-9]+\b))")


def _worth_reading(data: bytes) -> bool:
    """Whether a noqa of ``data`` may be malformed or name a bn-lint code (then its comments are
    tokenized): not for a file whose every noqa is ``# noqa`` or ``# noqa: E501`` (most of them)."""
    for match in _NOQA.finditer(data):
        before = data[max(0, match.start() - 12):match.start()].lower()
        if b"flake8" in before or b"ruff" in before or not _PLAIN.match(data, match.end()):
            return True
    return False


def audit(files: list[str], resolver: Resolver) -> list[str]:
    """One message per malformed or unused noqa directive in ``files``."""
    from .engine import Checker
    from .importers import find_importers

    checkers: dict = {}
    messages: list[tuple[int, int, int, str]] = []  # (file, line, column, message): in order of place
    from .source import UnreadableSource, decode, read_bytes

    for number, path in enumerate(files):
        try:
            data = read_bytes(path)  # (stat first: never a FIFO or a device)
        except UnreadableSource:
            continue
        if path.endswith(".ipynb") or not _worth_reading(data):  # (a notebook's cells: not audited yet)
            continue
        try:
            text = decode(data).text
        except UnreadableSource:
            continue
        found = directives(text)
        messages += [(number, d.line, d.column, f"{path}:{d.line}:{d.column}: {d.problem}") for d in found if d.problem]
        for d in found:  # (as ruff: "unknown" codes; a code of another tool, E501, is not bn-lint's to judge)
            unknown = [c for c in sorted(d.codes) if d.codes is not ALL and _BN_CODE.match(c) and not _known(c)]
            if unknown:
                messages.append((number, d.line, d.column, f"{path}:{d.line}:{d.column}: noqa directive names an unknown bn-lint code "
                                f"(suppresses nothing; see `bn-lint rules`): {', '.join(unknown)}"))
        named = [d for d in found if d.codes is not ALL and any(_BN_CODE.match(c) and _known(c) for c in d.codes)]
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
                messages.append((number, d.line, d.column, f"{path}:{d.line}:{d.column}: unused noqa directive "
                                 f"(nothing to suppress: {', '.join(unused)})"))
    return [message for *_, message in sorted(messages)]


def _known(prefix: str) -> bool:
    """Whether ``prefix`` (``BN2``, ``BN205``) names at least one of bn-lint's codes."""
    from .codes import KNOWN_CODES

    return any(code.startswith(prefix) for code in KNOWN_CODES)


def _selected(settings, prefix: str) -> bool:
    from .codes import KNOWN_CODES

    return any(code.startswith(prefix) and settings.is_selected(code) for code in KNOWN_CODES)

