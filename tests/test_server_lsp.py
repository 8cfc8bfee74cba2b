"""``bn-lint server`` through a small JSON-RPC client of its own over stdio (the bytes on the wire are the
test's: bad headers too): cross-file findings, notebooks, stale checks and bad input.

``LspClient`` is also what ``benchmarks/server/latency.py`` times the server with.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parent.parent


def uri_of(path: Path | str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(str(path))


class LspClient:
    """A language client over the server's stdin/stdout: every message received is kept with its arrival time."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, capabilities: dict | None = None) -> None:
        environ = {**os.environ, **(env or {})}
        environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), environ.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen([sys.executable, "-m", "bn_lint", "server"], cwd=str(root), env=environ,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.received: list[tuple[float, dict]] = []
        self._new = threading.Condition()
        self.stderr: list[str] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(root),
                                    "capabilities": capabilities or {}})
        self.notify("initialized", {})

    # ----------------------------------------------------------------- wire
    def send_raw(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self._next_id += 1
        ident = self._next_id
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        _, reply = self.wait_for(lambda m: m.get("id") == ident and "method" not in m, timeout)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply.get("result")

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # a request of the server's (registerCapability): accepted
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            with self._new:
                self.received.append((time.perf_counter(), message))
                self._new.notify_all()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 60, after: int = 0) -> tuple[float, dict]:
        """The first message (from the ``after``-th received on) that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for at, message in self.received[after:]:
                    if predicate(message):
                        return at, message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no such message in {timeout}s; stderr: {''.join(self.stderr)[-2000:]}")
                self._new.wait(left)

    # ------------------------------------------------------------ documents
    def diagnostics(self, uri: str, timeout: float = 60, after: int = 0,
                    accept: Callable[[dict], bool] = lambda params: True) -> dict:
        """The params of the first publishDiagnostics for ``uri`` (from the ``after``-th message on) ``accept`` takes."""
        return self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri and accept(m["params"]), timeout, after)[1]["params"]

    def published(self, uri: str, after: int = 0) -> list[tuple[float, dict]]:
        with self._new:
            return [(at, m["params"]) for at, m in self.received[after:]
                    if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = uri_of(path)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": path.read_text() if text is None else text}})
        return uri

    def change(self, uri: str, version: int, changes: list[dict]) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": changes})

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=20)
            self.notify("exit", None)
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
            self.process.wait()


def insert(line: int, character: int, text: str) -> dict:
    """An incremental change: ``text`` inserted at (line, character), 0-based."""
    at = {"line": line, "character": character}
    return {"range": {"start": at, "end": at}, "text": text}


# ------------------------------------------------------------------ the project of issue 44 (N1)
ENGINE = """import torch


def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct
"""

TRAIN = """import torch
import torch.nn as nn

from cifar.engine import evaluate

model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    accuracy = evaluate(model, val_loader)
"""


def cifar_project(root: Path) -> tuple[Path, Path]:
    (root / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    package = root / "src" / "cifar"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text(ENGINE)
    (root / "src" / "train.py").write_text(TRAIN)
    return package / "engine.py", root / "src" / "train.py"


def _codes(params: dict) -> list[str]:
    return [d["code"] for d in params["diagnostics"]]


@pytest.fixture
def cifar(tmp_path):
    engine, train = cifar_project(tmp_path)
    client = LspClient(tmp_path)
    yield client, engine, train
    client.close()


def test_cli_reports_the_helper_finding_the_server_must_show(tmp_path):
    engine, _ = cifar_project(tmp_path)
    run = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--format", "json", str(engine)],
                         capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert [f["code"] for f in json.loads(run.stdout)] == ["BN101"]


def test_helper_open_alone_gets_the_bn101_its_caller_on_disk_causes(cifar):
    client, engine, train = cifar
    uri = client.open(engine)
    params = client.diagnostics(uri)
    (bn101,) = params["diagnostics"]
    assert bn101["code"] == "BN101" and bn101["range"]["start"] == {"line": 7, "character": 24}
    (related,) = bn101["relatedInformation"]
    assert related["location"]["uri"] == uri_of(train)
    assert related["location"]["range"]["start"] == {"line": 13, "character": 15}  # evaluate(model, val_loader)


def test_with_both_open_an_edit_of_the_caller_updates_the_helper(cifar):
    client, engine, train = cifar
    engine_uri = client.open(engine)
    train_uri = client.open(train)
    assert _codes(client.diagnostics(engine_uri, accept=lambda p: p["diagnostics"] != [])) == ["BN101"]
    client.diagnostics(train_uri)
    # the caller (unsaved) switches to eval mode before the call: the helper's finding goes away
    mark = len(client.received)
    client.change(train_uri, 2, [insert(13, 0, "    model.eval()\n")])
    assert client.diagnostics(engine_uri, after=mark)["diagnostics"] == []
    # and back: the helper gets it again, related to the caller's (moved) line
    mark = len(client.received)
    client.change(train_uri, 3, [{"range": {"start": {"line": 13, "character": 0}, "end": {"line": 14, "character": 0}},
                                  "text": ""}])
    (bn101,) = client.diagnostics(engine_uri, after=mark)["diagnostics"]
    assert bn101["relatedInformation"][0]["location"]["range"]["start"]["line"] == 13


def test_an_edit_of_the_helper_is_checked_with_its_callers(cifar):
    client, engine, _ = cifar
    uri = client.open(engine)
    assert _codes(client.diagnostics(uri)) == ["BN101"]
    # the helper calls model.eval() itself now (unsaved): no finding; lines above move the place
    mark = len(client.received)
    client.change(uri, 2, [insert(4, 0, "    model.eval()\n")])
    assert client.diagnostics(uri, after=mark)["diagnostics"] == []
    mark = len(client.received)
    client.change(uri, 3, [{"range": {"start": {"line": 4, "character": 0}, "end": {"line": 5, "character": 0}},
                            "text": "\n\n"}])
    (bn101,) = client.diagnostics(uri, after=mark)["diagnostics"]
    assert bn101["range"]["start"]["line"] == 9  # two blank lines where line 5 was


# ------------------------------------------------------------------------------ speed (N2)
def test_typing_publishes_once_for_the_last_version(cifar):
    client, engine, _ = cifar
    uri = client.open(engine)
    client.diagnostics(uri)
    mark = len(client.received)
    for version, char in enumerate("# a comment, typed", 2):
        client.change(uri, version, [insert(0, version - 2, char)])
        time.sleep(0.02)
    last = version
    params = client.diagnostics(uri, after=mark, accept=lambda p: p.get("version") == last)
    assert _codes(params) == ["BN101"]
    time.sleep(0.3)
    versions = [p.get("version") for _, p in client.published(uri, mark)]
    assert versions == [last]  # no stale publish for the versions typed over


# ------------------------------------------------------------------------------ notebooks
CELLS = [
    (2, "import torch\nimport torch.nn as nn\n"),
    (1, "# Evaluate"),
    (2, "model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\n"
        "model.load_state_dict(torch.load('net.pt'))\n"
        "with torch.no_grad():\n"
        "    for images, labels in test_loader:\n"
        "        predictions = model(images).argmax(1)\n"),
]


def test_notebook_document_gets_diagnostics_in_its_cells(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    notebook = uri_of(tmp_path / "eval.ipynb")
    cells = [f"vscode-notebook-cell:{notebook[len('file:'):]}#C{i}" for i in range(len(CELLS))]
    client = LspClient(tmp_path)
    try:
        client.notify("notebookDocument/didOpen", {
            "notebookDocument": {"uri": notebook, "notebookType": "jupyter-notebook", "version": 1,
                                 "cells": [{"kind": kind, "document": cell} for (kind, _), cell in zip(CELLS, cells)]},
            "cellTextDocuments": [{"uri": cell, "languageId": "python" if kind == 2 else "markdown", "version": 1,
                                   "text": text} for (kind, text), cell in zip(CELLS, cells)]})
        params = client.diagnostics(cells[2], accept=lambda p: p["diagnostics"] != [])
        (bn101,) = [d for d in params["diagnostics"] if d["code"] == "BN101"]
        assert bn101["range"]["start"] == {"line": 4, "character": 22}
        assert client.diagnostics(cells[0])["diagnostics"] == []
        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": cells[2]}, "context": {"diagnostics": []},
            "range": {"start": {"line": 4, "character": 0}, "end": {"line": 4, "character": 0}}})
        (noqa,) = [a for a in actions if a["title"] == "BN101: disable for this line (# noqa)"]
        (edit,) = noqa["edit"]["changes"][cells[2]]
        assert edit["newText"].endswith("model(images).argmax(1)  # noqa: BN101")
        # an edit of the cell: the model is put in eval mode
        mark = len(client.received)
        client.notify("notebookDocument/didChange", {
            "notebookDocument": {"uri": notebook, "version": 2},
            "change": {"cells": {"textContent": [{"document": {"uri": cells[2], "version": 2},
                                                  "changes": [insert(2, 0, "model.eval()\n")]}]}}})
        params = client.diagnostics(cells[2], after=mark)
        assert [d for d in params["diagnostics"] if d["code"] == "BN101"] == []
    finally:
        client.close()


def test_ipynb_opened_as_text_gets_diagnostics_at_the_cell_lines(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    data = {"cells": [{"cell_type": "code" if kind == 2 else "markdown", "metadata": {}, "outputs": [],
                       "execution_count": None, "source": text.splitlines(keepends=True)} for kind, text in CELLS],
            "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    for cell in data["cells"]:
        if cell["cell_type"] == "markdown":
            del cell["outputs"], cell["execution_count"]
    text = json.dumps(data, indent=1)
    path = tmp_path / "eval.ipynb"
    path.write_text(text)
    client = LspClient(tmp_path)
    try:
        uri = client.open(path)
        params = client.diagnostics(uri)
        (bn101,) = [d for d in params["diagnostics"] if d["code"] == "BN101"]
        line = bn101["range"]["start"]["line"]
        assert "predictions = model(images)" in text.splitlines()[line]
        assert text.splitlines()[line][bn101["range"]["start"]["character"]:].startswith("model(images)")
    finally:
        client.close()


# --------------------------------------------------------------------------- bad input (R6)
def test_change_to_a_document_never_opened_is_logged_not_shown(cifar):
    client, engine, _ = cifar
    client.change(uri_of(engine.parent / "never_opened.py"), 2, [insert(0, 0, "x")])
    uri = client.open(engine)
    assert _codes(client.diagnostics(uri)) == ["BN101"]
    assert not [m for _, m in client.received if m.get("method") == "window/showMessage"]
    assert any("not open" in line for line in client.stderr)


def test_bad_content_length_skips_that_message_only(cifar):
    client, engine, train = cifar
    body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri_of(train), "languageId": "python", "version": 1, "text": TRAIN}}}).encode()
    client.send_raw(b"Content-Length: abc\r\n\r\n" + body)
    uri = client.open(engine)  # the message right after the bad one
    assert _codes(client.diagnostics(uri)) == ["BN101"]
    assert client.request("shutdown", None) is None  # still answering
    assert any("bad header" in line for line in client.stderr)
    assert not client.published(uri_of(train))


def test_a_caller_changed_on_disk_updates_the_open_helper(cifar):
    client, engine, train = cifar
    uri = client.open(engine)
    assert _codes(client.diagnostics(uri)) == ["BN101"]
    train.write_text(TRAIN.replace("    accuracy = evaluate", "    model.eval()\n    accuracy = evaluate"))
    mark = len(client.received)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(train), "type": 2}]})
    assert client.diagnostics(uri, after=mark)["diagnostics"] == []
    # a new caller, created: the finding is back, related to it
    (train.parent / "finetune.py").write_text(TRAIN.replace("lr=0.1", "lr=0.01"))
    mark = len(client.received)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(train.parent / "finetune.py"),
                                                                   "type": 1}]})
    (bn101,) = client.diagnostics(uri, after=mark)["diagnostics"]
    assert bn101["relatedInformation"][0]["location"]["uri"] == uri_of(train.parent / "finetune.py")


def test_the_server_asks_to_watch_python_files_and_settings(tmp_path):
    cifar_project(tmp_path)
    client = LspClient(tmp_path, capabilities={"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})
    try:
        _, request = client.wait_for(lambda m: m.get("method") == "client/registerCapability")
        (registration,) = request["params"]["registrations"]
        assert registration["method"] == "workspace/didChangeWatchedFiles"
        assert [w["globPattern"] for w in registration["registerOptions"]["watchers"]] == ["**/*.py", "**/pyproject.toml"]
    finally:
        client.close()


def test_settings_changed_on_disk_are_read_again(cifar):
    client, engine, _ = cifar
    uri = client.open(engine)
    assert _codes(client.diagnostics(uri)) == ["BN101"]
    settings = engine.parents[2] / "pyproject.toml"
    settings.write_text("[tool.bn-lint]\nselect = ['BN']\nignore = ['BN101']\n")
    mark = len(client.received)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri_of(settings), "type": 2}]})
    assert client.diagnostics(uri, after=mark)["diagnostics"] == []


@pytest.mark.parametrize("indent", [1, None])
@pytest.mark.parametrize("as_list", [True, False])
def test_json_places_of_cell_lines(indent, as_list):
    from bn_lint.server_notebooks import JsonPlaces

    source = "import torch\nmodel = make()\nmodel(x)\n"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "model(x) in prose"},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": source.splitlines(keepends=True) if as_list else source}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=indent)
    row, character = JsonPlaces(text).place(2, 3, 1)  # cell 2, line 3: `model(x)`
    assert text.splitlines()[row][character:].startswith("model(x)\\n")


def test_a_quick_fix_is_offered_for_a_diagnostic_of_the_quick_check(tmp_path):
    """Diagnostics come from the quick check (no fixes in it); a code action asks libcst's check for the fix."""
    (tmp_path / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    path = tmp_path / "val.py"
    path.write_text("def validate(model, loader):\n    model.eval\n    return [model(x) for x in loader]\n")
    client = LspClient(tmp_path)
    try:
        uri = client.open(path)
        params = client.diagnostics(uri)
        assert "BN102" in _codes(params)
        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "context": {"diagnostics": params["diagnostics"]},
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}})
        (fix,) = [a for a in actions if a["title"].startswith("BN102") and "noqa" not in a["title"]]
        (edit,) = fix["edit"]["changes"][uri]
        assert edit["newText"] == "model.eval()"
    finally:
        client.close()
