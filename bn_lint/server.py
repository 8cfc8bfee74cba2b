"""``bn-lint server``: a language server (LSP over stdio, with pygls) for editors.

Diagnostics for the open buffer (saved or not) on open and on every change,
with the project's other files read through the same project index as
``bn-lint check``; quick fixes and ``# noqa`` as code actions; settings from
the ``[tool.bn-lint]`` nearest to each document. One checker per config file
stays warm between edits, so a re-check parses only the edited buffer.
"""
from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .adoption import with_noqa
from .config import ConfigError, find_config, load_config
from .engine import Checker
from .finding import Finding, Severity
from .source import SourceText

SOURCE = "bn-lint"


class Workspace:
    """Checks buffers: a warm checker per settings file, and the last findings of each document."""

    def __init__(self) -> None:
        self._checkers: dict[str, Checker] = {}
        self.findings: dict[str, list[Finding]] = {}

    def checker_for(self, path: str) -> Checker:
        config = find_config(Path(path).parent)
        key = str(config) if config else ""
        if key not in self._checkers:
            self._checkers[key] = Checker(load_config(config))
        return self._checkers[key]

    def check(self, uri: str, text: str) -> list[Finding]:
        path = to_fs_path(uri) or uri
        findings = [f for f in self.checker_for(path).check_source(path, SourceText(text, "utf-8")).findings
                    if os.path.abspath(f.path) == os.path.abspath(path)]
        self.findings[uri] = findings
        return findings


def _utf16(text: str, column: int) -> int:
    """The UTF-16 offset of 1-based code-point ``column`` in ``text`` (LSP counts UTF-16 units)."""
    return len(text[: max(column - 1, 0)].encode("utf-16-le")) // 2


def _position(lines: list[str], line: int, column: int) -> lsp.Position:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return lsp.Position(line=max(line - 1, 0), character=_utf16(text, column))


def _range(lines: list[str], finding_or_edit) -> lsp.Range:
    f = finding_or_edit
    return lsp.Range(start=_position(lines, f.line, f.column), end=_position(lines, f.end_line, f.end_column))


def diagnostic(finding: Finding, lines: list[str]) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=_range(lines, finding),
        message=finding.message,
        severity=lsp.DiagnosticSeverity.Error if finding.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        code=finding.code,
        source=SOURCE,
    )


def code_actions(uri: str, text: str, findings: list[Finding], wanted: lsp.Range) -> list[lsp.CodeAction]:
    """A quick fix for each fixable finding on the lines of ``wanted``, and a ``# noqa`` for each finding."""
    lines = text.splitlines()
    actions = []
    for finding in findings:
        if finding.end_line - 1 < wanted.start.line or finding.line - 1 > wanted.end.line:
            continue
        diag = diagnostic(finding, lines)
        if finding.fix is not None:
            edits = [lsp.TextEdit(range=_range(lines, e), new_text=e.replacement) for e in finding.fix.edits]
            actions.append(lsp.CodeAction(
                title=f"{finding.code}: {finding.fix.description}", kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag], is_preferred=True, edit=lsp.WorkspaceEdit(changes={uri: edits}),
            ))
        line_text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        new_line = with_noqa(line_text + "\n", {1: {finding.code}}).rstrip("\n")
        if new_line != line_text:
            span = lsp.Range(start=lsp.Position(line=finding.line - 1, character=0),
                             end=lsp.Position(line=finding.line - 1, character=_utf16(line_text, len(line_text) + 1)))
            actions.append(lsp.CodeAction(
                title=f"{finding.code}: disable for this line (# noqa)", kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag], edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=span, new_text=new_line)]}),
            ))
    return actions


def build_server() -> LanguageServer:
    server = LanguageServer(SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
    workspace = Workspace()

    def publish(uri: str) -> None:
        document = server.workspace.get_text_document(uri)
        if not document.path.endswith((".py", ".pyi")):
            return
        try:
            findings = workspace.check(uri, document.source)
        except ConfigError as error:
            server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"bn-lint: {error}"))
            return
        lines = document.source.splitlines()
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[diagnostic(f, lines) for f in findings]))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        workspace.findings.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        text = server.workspace.get_text_document(uri).source
        return code_actions(uri, text, workspace.findings.get(uri, []), params.range)

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the client exits."""
    build_server().start_io()
