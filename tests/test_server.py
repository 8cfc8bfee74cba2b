"""``bn-lint server``: a real LSP client (pygls) talks to the server over stdio."""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from tests.conftest import ROOT  # noqa: E402

MODELS = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))
"""

# unsaved buffer: its bug depends on models.py (Net holds BatchNorm)
BUFFER = """import torch
from models import Net

model = Net()
model.load_state_dict(torch.load("net.pt"))
with torch.no_grad():
    for images, labels in test_loader:
        predictions = model(images).argmax(1)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "predict.py").write_text("# saved version: empty\n")
    return tmp_path / "predict.py"


async def _session(path: Path):
    client = LanguageClient("bn-lint-test", "1")
    published: dict[str, list[lsp.Diagnostic]] = {}
    arrived = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published[params.uri] = params.diagnostics
        arrived.set()

    env_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    os.environ["PYTHONPATH"] = env_path
    await client.start_io(sys.executable, "-m", "bn_lint", "server")
    await client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(path.parent))))
    client.initialized(lsp.InitializedParams())
    uri = from_fs_path(str(path))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=BUFFER)))
    await asyncio.wait_for(arrived.wait(), 60)
    diagnostics = published[uri]

    # a code action on the BN101 line: the noqa action, applied by hand as an editor would
    line = next(d.range.start.line for d in diagnostics if d.code == "BN101")
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(line=line, character=0), end=lsp.Position(line=line, character=0)),
        context=lsp.CodeActionContext(diagnostics=diagnostics)))
    noqa = next(a for a in actions if "noqa" in a.title)
    edit = noqa.edit.changes[uri][0]
    lines = BUFFER.splitlines(keepends=True)
    lines[edit.range.start.line] = edit.new_text + "\n"
    edited = "".join(lines)
    arrived.clear()
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)]))
    await asyncio.wait_for(arrived.wait(), 60)
    after = published[uri]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return diagnostics, actions, after, edited


def test_unsaved_buffer_gets_diagnostics_from_the_project_and_a_code_action_silences_them(tmp_path):
    path = _project(tmp_path)
    diagnostics, actions, after, edited = asyncio.run(_session(path))
    bn101 = [d for d in diagnostics if d.code == "BN101"]
    assert len(bn101) == 1 and bn101[0].range.start.line == 7  # `predictions = model(images)...`, 0-based
    assert bn101[0].severity == lsp.DiagnosticSeverity.Error and bn101[0].source == "bn-lint"
    assert "# noqa: BN101" in edited.splitlines()[7]
    assert [d for d in after if d.code == "BN101"] == []


def test_quick_fix_carries_the_rules_edit():
    from bn_lint.server import code_actions, diagnostic  # noqa: F401
    from bn_lint.config import Settings
    from bn_lint.engine import Checker
    from bn_lint.source import SourceText

    text = "import torch.nn as nn\nm = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\nmodel.eval\n"
    findings = Checker(Settings()).check_source("buf.py", SourceText(text, "utf-8")).findings
    actions = code_actions("file:///buf.py", text, findings,
                           lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=3, character=0)))
    titles = [a.title for a in actions]
    assert any(t.startswith("BN102:") and "noqa" not in t for t in titles)
    fix = next(a for a in actions if a.title.startswith("BN102:") and "noqa" not in a.title)
    (edit,) = fix.edit.changes["file:///buf.py"]
    assert (edit.range.start.line, edit.new_text) == (2, "model.eval()")


def test_utf16_columns():
    from bn_lint.server import _utf16

    assert _utf16("x = '😀'; bn = f()", 10) == 10  # the emoji is two UTF-16 units
    assert _utf16("abc", 1) == 0


def test_recheck_of_a_2000_line_buffer_after_a_one_line_edit_is_fast(tmp_path):
    """Measured, not asserted tightly: the figure is printed; the bound only catches a regression to cold checks."""
    from bn_lint.server import Workspace

    path = _project(tmp_path)
    blocks = [f"def block_{i}(x):\n    y = x * {i}\n    return y + 1\n\n" for i in range(500)]
    text = "import torch\nfrom models import Net\n\n" + "".join(blocks) + BUFFER.split("\n", 2)[2]
    assert len(text.splitlines()) >= 2000
    workspace = Workspace()
    uri = from_fs_path(str(path))
    workspace.check(uri, text)  # warm: project index and checker
    edited = text.replace("y = x * 7\n", "y = x * 8\n")
    start = time.perf_counter()
    findings = workspace.check(uri, edited)
    elapsed = time.perf_counter() - start
    print(f"re-check of a {len(edited.splitlines())}-line buffer: {elapsed * 1000:.0f} ms")
    assert any(f.code == "BN101" for f in findings)
    assert elapsed < 5.0
