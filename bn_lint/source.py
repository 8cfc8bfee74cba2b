"""Reading a source file as text the way Python would (PEP 263 cookies, BOM)."""
from __future__ import annotations

import os
import re
import stat
import tokenize
from dataclasses import dataclass


class UnreadableSource(Exception):
    """The file cannot be read or decoded; reported as BN901."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str  # as detected; "utf-8-sig" when the file starts with a BOM


def decode(data: bytes) -> SourceText:
    """Decode bytes as the interpreter would, or raise UnreadableSource."""
    lines = _first_lines(data)  # (a lone \r ends a line too, as for the interpreter)
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except SyntaxError as error:
        if _utf8_rewriting_codec(data):
            encoding = "utf-8"  # (what the codec decodes: UTF-8 text in today's syntax)
        elif _COOKIE.search(b"\n".join(data.splitlines()[:2])):
            raise UnreadableSource(f"bad encoding declaration: {error.msg}") from None
        else:
            raise UnreadableSource(_not_utf8(data) + " and there is no coding declaration") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding in ("utf-8", "utf-8-sig"):
            raise UnreadableSource(_not_utf8(data)) from None
        raise UnreadableSource(f"cannot decode as {encoding}: {error.reason}") from None
    except LookupError as error:
        raise UnreadableSource(f"unknown encoding: {error}") from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding)


def _first_lines(data: bytes):
    """The first two lines of ``data`` (what ``detect_encoding`` reads), split at \\r\\n, \\r or \\n."""
    position = 0
    for _ in range(2):
        match = _BYTES_BREAK.search(data, position)
        end = match.end() if match else len(data)
        yield data[position:end]
        position = end


_BYTES_BREAK = re.compile(rb"\r\n|\r|\n")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)
_COOKIE_NAME = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")

# Source codecs that a package registers to run newer syntax on an older interpreter (``# -*- coding:
# future_fstrings -*-``): they decode UTF-8 and rewrite f-strings, annotations or type syntax for Python 2 / 3.5;
# the file's text is UTF-8 in today's syntax, which is what bn-lint reads (the codec is not installed here).
_UTF8_REWRITING_CODECS = frozenset({"future_fstrings", "future_annotations", "future_typing"})


def _utf8_rewriting_codec(data: bytes) -> bool:
    """Whether the coding declaration of ``data`` (on its first or second line, as PEP 263 says) names one of
    :data:`_UTF8_REWRITING_CODECS`."""
    for number, line in enumerate(_first_lines(data)):
        match = _COOKIE_NAME.match(line)
        if match is not None:
            return match.group(1).decode("ascii", "replace").lower().replace("-", "_") in _UTF8_REWRITING_CODECS
        if number == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            return False  # (a cookie counts on the second line only after a comment or blank first line)
    return False


def _not_utf8(data: bytes) -> str:
    """Where ``data`` stops being UTF-8, as a message."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return f"not valid UTF-8 (byte 0x{data[error.start]:02x} on line {line})"
    return "not valid UTF-8"


READ_LIMIT = 8 * 2**20  # bytes: more than the checker's 2 Mi-character limit in any encoding


class TooLarge(UnreadableSource):
    """The file is over ``READ_LIMIT`` bytes: not read (reported as BN900, file not checked)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size / 2**20:.1f} MiB")
        self.size = size


def read_bytes(path: str, limit: int | None = READ_LIMIT) -> bytes:
    """The bytes of regular file ``path``, looked at with ``stat`` first: a FIFO, device or socket is
    never opened (opening or reading one can block forever), nor a file over ``limit`` bytes read."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise UnreadableSource(error.strerror or str(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableSource("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableSource("not a regular file (a FIFO, device or socket): not read")
    if limit is not None and info.st_size > limit:
        raise TooLarge(info.st_size)
    try:
        # (O_NONBLOCK: should the path become a FIFO after the stat, opening it does not wait for a writer)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UnreadableSource("not a regular file (a FIFO, device or socket): not read")
            data = handle.read(limit + 1 if limit is not None else -1)
    except OSError as error:
        raise UnreadableSource(error.strerror or str(error)) from None
    if limit is not None and len(data) > limit:  # (grew after the stat)
        raise TooLarge(len(data))
    return data


def read_source(path: str) -> SourceText:
    """Read ``path`` (``read_bytes``); OSError and decoding problems become UnreadableSource."""
    return decode(read_bytes(path))


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
