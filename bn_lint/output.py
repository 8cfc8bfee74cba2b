"""Writing the report: to ``--output-file`` or standard output, with one-line errors and nothing lost.

File names come from the file system as ``str`` with lone surrogates standing for bytes that are not
UTF-8 (PEP 383). Text formats write those bytes back as they are (as ``ls`` shows the name); the
formats that must be valid Unicode get a printable name instead (``printable_path``), JUnit XML
its only one; JSON and SARIF give the exact bytes too (``report/json_format.py``, ``report/sarif.py``).
"""
from __future__ import annotations

import dataclasses
import os
import re
import sys

STRICT_FORMATS = ("json", "sarif", "junit")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OutputError(Exception):
    """The report could not be written where asked; the message is one line."""


def printable_path(path: str, fmt: str) -> str:
    """``path`` as a format that must be valid Unicode can hold it: undecodable bytes as ``\\xe9``
    (SARIF: unchanged, its URIs are percent-encoded bytes), and, for XML, control characters as ``\\x01``;
    in the text formats, control characters (a newline) escaped, so a finding stays one line."""
    if path.isprintable() and not _has_surrogates(path):
        return path
    if fmt not in STRICT_FORMATS:  # one finding a line: a newline or a control character in a name is escaped
        return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), path)
    if fmt in ("sarif", "json"):
        return path  # (SARIF's URIs percent-encode the name's bytes; JSON adds them: report/json_format.py)
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text) if fmt == "junit" else text


def printable_findings(findings: list, fmt: str) -> tuple[list, dict[str, str]]:
    """The findings with printable paths (their related places' too), and a map from each printable path
    back to the real one."""
    back: dict[str, str] = {}
    out = []
    for finding in findings:
        shown = printable_path(finding.path, fmt)
        related = tuple(_printable_related(r, fmt, back) for r in finding.related)
        if shown != finding.path or related != finding.related:
            if shown != finding.path:
                back[shown] = finding.path
            finding = dataclasses.replace(finding, path=shown, related=related)
        out.append(finding)
    return out, back


def _printable_related(related, fmt: str, back: dict[str, str]):
    shown = printable_path(related.path, fmt)
    if shown == related.path:
        return related
    back[shown] = related.path
    return dataclasses.replace(related, path=shown)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def write(text: str, output_file: str | None) -> None:
    """Write the report to ``output_file`` (its folder created if missing) or standard output.

    OutputError when the file cannot be written: the caller prints the report on standard output
    instead, so nothing is lost.
    """
    data = text.encode("utf-8", "surrogateescape")
    if output_file:
        try:
            folder = os.path.dirname(output_file)
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(output_file, "wb") as stream:
                stream.write(data)
        except OSError as error:
            raise OutputError(f"cannot write the report to {output_file}: {error.strerror or error}") from None
        return
    write_stdout(data)


def write_stdout(data: bytes) -> None:
    """``data`` on standard output; OutputError if it cannot take it (a full disk). A closed pipe
    (``| head``) ends quietly: the reader wanted no more."""
    stream = sys.stdout
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # (a text-only stream, as in some test runners)
            stream.write(data.decode("utf-8", "surrogateescape"))
        else:
            buffer.write(data)
        stream.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as error:
        _silence_stdout()
        raise OutputError(f"cannot write the report to standard output: {error.strerror or error}") from None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real file descriptor
        pass
