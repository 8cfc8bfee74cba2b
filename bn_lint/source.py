"""Reading a source file as text the way Python would (PEP 263 cookies, BOM)."""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


class UnreadableSource(Exception):
    """The file cannot be read or decoded; reported as BN901."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str  # as detected; "utf-8-sig" when the file starts with a BOM


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


def decode(data: bytes) -> SourceText:
    """Decode bytes as the interpreter would, or raise UnreadableSource."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if not _COOKIE.search(b"\n".join(data.splitlines()[:2])):
            # no declaration at all: the first lines are simply not UTF-8
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as decode_error:
                raise UnreadableSource(f"not valid UTF-8 and no coding declaration: {decode_error}") from None
        raise UnreadableSource(f"bad encoding declaration: {error.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise UnreadableSource(f"cannot decode as {encoding}: {error}") from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding)


def read_source(path: str) -> SourceText:
    """Read ``path``; OSError and decoding problems become UnreadableSource."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        raise UnreadableSource("is a directory, not a file") from None
    except OSError as error:
        raise UnreadableSource(error.strerror or str(error)) from None
    return decode(data)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them (only \\n, \\r\\n and \\r break lines)."""
    return _LINE_BREAK.split(text)


def line_offsets(text: str) -> list[int]:
    """Offset of the start of each 1-based line (index 0 is line 1)."""
    offsets = [0]
    for match in _LINE_BREAK.finditer(text):
        offsets.append(match.end())
    return offsets
