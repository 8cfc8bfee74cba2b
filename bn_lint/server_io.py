"""The language server's transport, hardened: a bad header or a change to an unknown document is logged
and skipped, and the server goes on reading.

pygls reads a message as header lines up to a blank line, then ``Content-Length`` bytes. A header
``Content-Length: abc`` is no length: pygls then reads the body as header lines, and the body (no
newline at its end) runs into the next message's header, which is lost with it, and so on.
``RecoveringStdin`` gives pygls a header line that starts where a ``Content-Length`` header starts
inside the line read, so the bad message alone is skipped.
"""
from __future__ import annotations

import logging
import re
from typing import BinaryIO
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger("bn_lint.server")

_HEADER = re.compile(rb"Content-Length: \d+\r\n$")
_BAD_LENGTH = re.compile(rb"^Content-Length:(?! \d+\r\n$)")


class RecoveringStdin:
    """``stdin`` for pygls' reader (``readline``, ``read``), resynchronised on the next header after a bad one."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def readline(self) -> bytes:
        line = self.stream.readline()
        if _BAD_LENGTH.match(line):
            log.warning("bad header %r: message skipped", line[:80])
            return b"X-Skipped: bad Content-Length\r\n"
        found = _HEADER.search(line)
        if found is not None and found.start() > 0:
            log.warning("%d bytes without a valid header skipped", found.start())
            return line[found.start():]
        return line

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        return data


class ServerProtocol(LanguageServerProtocol):
    """pygls' protocol, but a change to a document never opened is logged, not an error shown to the user."""

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            log.warning("didChange for %s, which is not open: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def lsp_notebook_document__did_change(self, params: lsp.DidChangeNotebookDocumentParams):
        if unquote(params.notebook_document.uri) not in self.workspace.notebook_documents:
            log.warning("didChange for notebook %s, which is not open: ignored", params.notebook_document.uri)
            return
        yield from super().lsp_notebook_document__did_change(params)
