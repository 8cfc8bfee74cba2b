"""``bn-lint server``: a language server (LSP over stdio, with pygls) for editors.

Diagnostics for the open documents (saved or not): each is checked as ``bn-lint check`` checks it,
its importers included, so a helper gets the findings its callers cause (the call as related
information), and a caller's findings in an open helper reach that helper. Quick fixes and
``# noqa`` as code actions; notebooks (notebook documents, or an ``.ipynb`` opened as text) with
their diagnostics at their cells; settings from the ``[tool.bn-lint]`` nearest to each document.

Edits arrive incrementally; a check starts ``DEBOUNCE_MS`` after the last change, on one checking
thread (the event loop goes on reading), with the checkers and projects kept warm between checks
(``server_state``). A check whose documents changed while it ran is dropped, and what is left of
it skipped: only the newest text's diagnostics are published. Bad input on the wire is logged and
skipped (``server_io``).
"""
from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from . import __version__
from .adoption import with_noqa
from .config import ConfigError
from .finding import Finding, Severity
from .server_io import RecoveringStdin, ServerProtocol
from .server_notebooks import JsonPlaces, notebook_text
from .server_state import Workspace

__all__ = ["Workspace", "build_server", "code_actions", "diagnostic", "serve"]

log = logging.getLogger("bn_lint.server")
DEBOUNCE_MS = float(os.environ.get("BN_LINT_SERVER_DEBOUNCE_MS", "50"))
# The server runs with Python's automatic garbage collection off: with the warm project's models on the
# heap, the collections that a check's allocations set off walk all of it (a 2,000-line buffer's check
# took 360 ms with them, 210 ms without, and grew faster than the file). A check leaves ~60,000 objects of
# garbage (the old text's model), ~50 ms to collect: collected once the editor has been quiet IDLE_GC_S
# seconds, or within a check once GC_BACKSTOP objects wait (edits with no pause).
IDLE_GC_S = 0.25
GC_BACKSTOP = 400_000
CHECKED = (".py", ".pyi", ".ipynb")

SOURCE = "bn-lint"


def _utf16(text: str, column: int) -> int:
    """The UTF-16 offset of 1-based code-point ``column`` in ``text`` (LSP counts UTF-16 units)."""
    return len(text[: max(column - 1, 0)].encode("utf-16-le")) // 2


def _position(lines: list[str], line: int, column: int) -> lsp.Position:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return lsp.Position(line=max(line - 1, 0), character=_utf16(text, column))


def _range(lines: list[str], finding_or_edit) -> lsp.Range:
    f = finding_or_edit
    return lsp.Range(start=_position(lines, f.line, f.column), end=_position(lines, f.end_line, f.end_column))


def diagnostic(finding: Finding, lines: list[str], lines_of: Callable[[str], list[str]] | None = None,
               where: lsp.Range | None = None) -> lsp.Diagnostic:
    """``finding`` as a diagnostic; the places that cause it (a caller in another file) as related information,
    ``lines_of(path)`` giving their files' lines; ``where``: its range when not ``lines``' (a notebook)."""
    related = [lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=from_fs_path(r.path) or r.path, range=_range(lines_of(r.path), r)), message=r.message)
        for r in finding.related] if lines_of is not None else []
    return lsp.Diagnostic(
        range=where or _range(lines, finding),
        message=finding.message,
        severity=lsp.DiagnosticSeverity.Error if finding.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        code=finding.code,
        source=SOURCE,
        related_information=related or None,
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


class _Documents:
    """The open documents by absolute path: a text document's uri, or a notebook document's."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.texts: dict[str, str] = {}  # path -> uri of an open text document
        self.notebooks: dict[str, str] = {}  # path -> uri of an open notebook document

    def text_of(self, path: str) -> str | None:
        """The document's text now (a notebook document: as an .ipynb file); None when not open."""
        workspace = self.server.workspace
        if path in self.notebooks:
            notebook = workspace.get_notebook_document(notebook_uri=self.notebooks[path])
            if notebook is None:
                return None
            return notebook_text((cell.kind == lsp.NotebookCellKind.Code,
                                  workspace.get_text_document(cell.document).source) for cell in notebook.cells)
        if path in self.texts:
            return workspace.get_text_document(self.texts[path]).source
        return None

    def lines_of(self, path: str) -> list[str]:
        path = os.path.abspath(path)
        text = self.text_of(path) if path in self.texts else None
        if text is None:
            try:
                with open(path, encoding="utf-8", errors="replace") as stream:
                    text = stream.read()
            except OSError:
                text = ""
        return text.splitlines()


class Scheduler:
    """Checks changed documents ``DEBOUNCE_MS`` after their last change, one check at a time on a thread,
    and publishes what a check found unless its documents changed meanwhile."""

    def __init__(self, server: LanguageServer, workspace: Workspace, documents: _Documents) -> None:
        self.server, self.workspace, self.documents = server, workspace, documents
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="bn-lint-check")
        self.edits: dict[str, int] = {}  # path -> changes seen (a check is stale when this moved on)
        self.pending: dict[str, bool] = {}  # path -> open (False: closed) waiting for a check
        self.unpublished: set[str] = set()  # files whose findings changed in a dropped check
        self.disk: set[str] = set()  # files changed on disk, not open, waiting for the next check
        self.disk_created = False
        self.timer: asyncio.TimerHandle | None = None
        self.idle: asyncio.TimerHandle | None = None  # the garbage collection after a pause
        self.running = False

    def changed(self, path: str, delay_ms: float = DEBOUNCE_MS, still_open: bool = True) -> None:
        self.edits[path] = self.edits.get(path, 0) + 1
        self.pending[path] = still_open
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(delay_ms / 1000, self._start)

    def on_disk(self, paths: list[str], created_or_deleted: bool = False) -> None:
        """Files saved or changed outside the editor: the open documents that depend on them checked again."""
        self.disk.update(paths)
        self.disk_created = self.disk_created or created_or_deleted
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(DEBOUNCE_MS / 1000, self._start)

    def _start(self) -> None:
        self.timer = None
        if self.running or not (self.pending or self.disk):
            return  # (a running check starts the next when it ends)
        pending, self.pending = self.pending, {}
        disk, created, self.disk, self.disk_created = sorted(self.disk), self.disk_created, set(), False
        texts = {path: (self.documents.text_of(path) if still_open else None) for path, still_open in pending.items()}
        seen = {path: self.edits.get(path, 0) for path in texts}

        def stale() -> bool:
            return any(self.edits.get(path, 0) != count for path, count in seen.items())

        def work() -> set[str]:
            affected = self.workspace.files_changed_on_disk(disk, created) if disk else set()
            affected |= self.workspace.run(texts, stale) if texts else set()
            if not gc.isenabled() and gc.get_count()[0] > GC_BACKSTOP:
                gc.collect()  # (edits without a pause: the idle collection never came)
            return affected

        self.running = True
        future = asyncio.get_running_loop().run_in_executor(self.executor, work)
        future.add_done_callback(lambda done: self._done(done, seen))

    def _done(self, future: "asyncio.Future[set[str]]", seen: dict[str, int]) -> None:
        self.running = False
        try:
            affected = future.result()
        except ConfigError as error:
            self.server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"bn-lint: {error}"))
            affected = set()
        except Exception:  # a bug of the server's own: logged, the editor goes on
            log.exception("check failed")
            affected = set()
        if any(self.edits.get(path, 0) != count for path, count in seen.items()):
            self.unpublished |= affected  # (stale: the newer check publishes them)
        else:
            waiting = affected | self.unpublished
            self.unpublished = {path for path in waiting if path in self.pending}  # (edited since: checked next)
            for path in sorted(waiting - self.unpublished):
                self.publish(path)
        if (self.pending or self.disk) and self.timer is None:
            self._start()
        elif not (self.pending or self.disk) and not gc.isenabled():
            self._idle_timer(IDLE_GC_S)

    def _idle_timer(self, delay: float) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(delay, self._collect)

    def _collect(self) -> None:
        """Idle: collect the garbage of the checks since the last collection (on the checking thread)."""
        self.idle = None
        if self.running or self.pending or self.disk:
            return
        asyncio.get_running_loop().run_in_executor(self.executor, gc.collect)

    def publish(self, path: str) -> None:
        findings = self.workspace.findings_in(path)
        server, documents = self.server, self.documents
        if path in documents.notebooks:
            notebook = server.workspace.get_notebook_document(notebook_uri=documents.notebooks[path])
            if notebook is None:
                return
            by_cell: dict[int, list[lsp.Diagnostic]] = {index: [] for index in range(1, len(notebook.cells) + 1)}
            for finding in findings:
                if finding.cell in by_cell:
                    cell = notebook.cells[finding.cell - 1]
                    lines = server.workspace.get_text_document(cell.document).source.splitlines()
                    by_cell[finding.cell].append(diagnostic(finding, lines, documents.lines_of))
            for index, diagnostics in by_cell.items():
                server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                    uri=notebook.cells[index - 1].document, diagnostics=diagnostics))
            return
        uri = documents.texts.get(path)
        if uri is None:
            return
        document = server.workspace.get_text_document(uri)
        lines = document.source.splitlines()
        if path.endswith(".ipynb"):
            places = JsonPlaces(document.source)
            diagnostics = []
            for finding in findings:
                start = places.place(finding.cell or 1, finding.line, finding.column)
                end = places.place(finding.cell or 1, finding.end_line, finding.end_column)
                where = lsp.Range(start=lsp.Position(*start), end=lsp.Position(*max(start, end)))
                diagnostics.append(diagnostic(finding, lines, documents.lines_of, where))
        else:
            diagnostics = [diagnostic(f, lines, documents.lines_of) for f in findings]
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=diagnostics))


def _path(uri: str) -> str:
    return os.path.abspath(to_fs_path(uri) or uri)


def build_server() -> LanguageServer:
    server = LanguageServer(
        SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        notebook_document_sync=lsp.NotebookDocumentSyncOptions(notebook_selector=[
            lsp.NotebookDocumentFilterWithCells(cells=[lsp.NotebookCellLanguage(language="python")], notebook="*")]),
        protocol_cls=ServerProtocol,
    )
    workspace = Workspace()
    documents = _Documents(server)
    scheduler = Scheduler(server, workspace, documents)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = _path(uri)
        if uri.startswith("file:") and path.endswith(CHECKED):
            documents.texts[path] = uri
            scheduler.changed(path, delay_ms=0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if documents.texts.get(path) == params.text_document.uri:
            scheduler.changed(path)

    @server.feature(lsp.INITIALIZED)
    async def initialized(params: lsp.InitializedParams) -> None:
        """Ask the client to tell of changes to Python files and settings on disk (its caller saved by
        another program, a new importer, a ``pyproject.toml`` edited), where it can be asked."""
        workspace_caps = server.client_capabilities.workspace
        watched = workspace_caps.did_change_watched_files if workspace_caps else None
        if watched is None or not watched.dynamic_registration:
            return
        try:
            await server.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="bn-lint-watched-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    lsp.FileSystemWatcher(glob_pattern="**/*.py"),
                    lsp.FileSystemWatcher(glob_pattern="**/pyproject.toml")]))]))
        except Exception as error:  # (a client that refuses: no watching, logged)
            log.warning("file watching not registered: %s", error)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = _path(uri)
        if documents.texts.get(path) == uri:
            del documents.texts[path]
            scheduler.changed(path, delay_ms=0, still_open=False)
            server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
        paths = [_path(change.uri) for change in params.changes]
        created = any(change.type != lsp.FileChangeType.Changed for change in params.changes)
        scheduler.on_disk(paths, created)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(params: lsp.DidOpenNotebookDocumentParams) -> None:
        path = _path(params.notebook_document.uri)
        documents.notebooks[path] = params.notebook_document.uri
        scheduler.changed(path, delay_ms=0)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(params: lsp.DidChangeNotebookDocumentParams) -> None:
        path = _path(params.notebook_document.uri)
        if path in documents.notebooks:
            scheduler.changed(path)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(params: lsp.DidCloseNotebookDocumentParams) -> None:
        path = _path(params.notebook_document.uri)
        if documents.notebooks.pop(path, None) is not None:
            scheduler.changed(path, delay_ms=0, still_open=False)
            for cell in params.cell_text_documents:
                server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    async def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        path = _path(uri)
        text = server.workspace.get_text_document(uri).source
        loop = asyncio.get_running_loop()
        if documents.texts.get(path) == uri and not path.endswith(".ipynb"):
            # (diagnostics come from the quick check, without fixes: the fixes from libcst's check, asked for now)
            fixed = await loop.run_in_executor(scheduler.executor, workspace.fixes_in, path, text)
            return code_actions(uri, text, _with_fixes(workspace.findings_in(path), fixed), params.range)
        notebook = server.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:  # a cell: its findings are in the cell's lines, their fixes too
            index = next(i for i, cell in enumerate(notebook.cells, 1) if cell.document == uri)
            notebook_path = _path(notebook.uri)
            whole = documents.text_of(notebook_path)
            fixed = await loop.run_in_executor(scheduler.executor, workspace.fixes_in, notebook_path, whole) \
                if whole is not None else []
            found = [f for f in _with_fixes(workspace.findings_in(notebook_path), fixed) if f.cell == index]
            return code_actions(uri, text, found, params.range)
        return []

    return server


def _with_fixes(findings: list[Finding], fixed: list[Finding]) -> list[Finding]:
    """``findings`` with the fix that libcst's check of the same file gives the same finding."""
    fixes = {(f.code, f.cell, f.line, f.column): f.fix for f in fixed}
    return [dataclasses.replace(f, fix=fixes.get((f.code, f.cell, f.line, f.column), f.fix)) for f in findings]


def serve() -> None:
    """Run the server on stdin/stdout until the client exits (its log on stderr)."""
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("BN_LINT_SERVER_LOG", "WARNING").upper(),
                        format="bn-lint server: %(levelname)s: %(message)s")
    gc.disable()  # (see IDLE_GC_S)
    build_server().start_io(stdin=RecoveringStdin(sys.stdin.buffer))
