"""Edit-to-diagnostics latency of ``bn-lint server``, through its stdio like an editor (issue 44, N2).

For buffers of 250, 1,000 and 2,000 lines (with one BN101 at the end, the model from ``models.py``):

- one-line edit: an incremental ``didChange`` of one line, then the time until the server publishes
  diagnostics for that version (median and spread of ``--edits`` edits, 0.4 s apart);
- typing: ``--chars`` characters typed one ``didChange`` each, ``--gap-ms`` apart; the time from the last
  keystroke to the diagnostics of the last version, and how many publishes the typing caused;
- in-process: ``Workspace.check`` of the edited buffer alone (no transport, no debounce; automatic garbage
  collection off, as in the server), the floor.

    python benchmarks/server/latency.py [--sizes 250 1000 2000] [--edits 12] [--chars 20] [--gap-ms 40]

The debounce is the server's (``BN_LINT_SERVER_DEBOUNCE_MS``, 50 ms unless set).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.test_server_lsp import LspClient, uri_of  # noqa: E402

MODELS = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))
"""

TAIL = """model = Net()
model.load_state_dict(torch.load("net.pt"))
with torch.no_grad():
    for images, labels in test_loader:
        predictions = model(images).argmax(1)
"""


def buffer(lines: int) -> str:
    blocks = [f"def block_{i}(x):\n    y = x * {i}\n    return y + 1\n\n" for i in range(max(1, (lines - 8) // 4))]
    return "import torch\nfrom models import Net\n\n" + "".join(blocks) + TAIL


def project(folder: Path, lines: int) -> tuple[Path, str]:
    (folder / "pyproject.toml").write_text("[tool.bn-lint]\nselect = ['BN']\n")
    (folder / "models.py").write_text(MODELS)
    path = folder / "predict.py"
    text = buffer(lines)
    path.write_text(text)
    return path, text


def _line_edit(line: int, old: str, new: str) -> dict:
    return {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": len(old)}},
            "text": new}


def measure(lines: int, edits: int, chars: int, gap: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path, text = project(Path(tmp), lines)
        rows = text.splitlines()
        target = next(i for i, row in enumerate(rows) if row == "    y = x * 7")  # (a line in the middle block)
        client = LspClient(Path(tmp))
        try:
            uri = client.open(path, text)
            client.diagnostics(uri)
            version, current = 1, rows[target]
            latencies = []
            for number in range(edits):
                time.sleep(0.4)
                version += 1
                new = f"    y = x * {100 + number}"
                mark = len(client.received)
                sent = time.perf_counter()
                client.change(uri, version, [_line_edit(target, current, new)])
                current = new
                wanted = version
                at, message = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                             and m["params"].get("version") == wanted, 60, mark)
                assert [d["code"] for d in message["params"]["diagnostics"]] == ["BN101"], message
                latencies.append((at - sent) * 1000)
            time.sleep(0.4)
            mark = len(client.received)
            comment = target - 1  # `def block_7(x):`: characters typed after it, as a comment
            column = len(rows[comment])
            for index, char in enumerate(f"  # typed {'x' * chars}"[:chars]):
                version += 1
                last_key = time.perf_counter()
                client.change(uri, version, [{"range": {"start": {"line": comment, "character": column + index},
                                                        "end": {"line": comment, "character": column + index}},
                                              "text": char}])
                if index < chars - 1:
                    time.sleep(gap)
            final = version
            at, _ = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                    and m["params"].get("version") == final, 60, mark)
            time.sleep(0.5)
            publishes = len(client.published(uri, mark))
        finally:
            client.close()
        floor = _in_process(path, text, edits)
    return {"lines": len(text.splitlines()), "edit_ms": latencies, "typing_lag_ms": (at - last_key) * 1000,
            "typing_publishes": publishes, "in_process_ms": floor}


def _in_process(path: Path, text: str, edits: int) -> list[float]:
    from bn_lint.server_state import Workspace

    import gc

    workspace = Workspace()
    uri = uri_of(path)
    workspace.check(uri, text)
    out = []
    gc.disable()  # (as the server runs)
    try:
        for number in range(edits):
            edited = text.replace("    y = x * 7\n", f"    y = x * {200 + number}\n")
            start = time.perf_counter()
            workspace.check(uri, edited)
            out.append((time.perf_counter() - start) * 1000)
            gc.collect()  # (the server's idle collection)
    finally:
        gc.enable()
    return out


def measure_cross_file(edits: int) -> list[float]:
    """Edit-to-diagnostics of a helper whose finding comes from its caller (issue 44's cifar project, both
    open): each edit re-checks the helper and its importer."""
    from tests.test_server_lsp import cifar_project

    with tempfile.TemporaryDirectory() as tmp:
        engine, train = cifar_project(Path(tmp))
        client = LspClient(Path(tmp))
        try:
            uri = client.open(engine)
            client.open(train)
            client.diagnostics(uri, accept=lambda p: p["diagnostics"] != [])
            rows = engine.read_text().splitlines()
            latencies, current = [], rows[4]
            for number in range(edits):
                time.sleep(0.4)
                new = f"    correct = {number}"
                mark = len(client.received)
                sent = time.perf_counter()
                client.change(uri, 2 + number, [_line_edit(4, current, new)])
                current, wanted = new, 2 + number
                at, message = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                              and m["params"].get("version") == wanted, 60, mark)
                assert [d["code"] for d in message["params"]["diagnostics"]] == ["BN101"], message
                latencies.append((at - sent) * 1000)
        finally:
            client.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--edits", type=int, default=12)
    parser.add_argument("--chars", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=40)
    args = parser.parse_args()
    debounce = float(os.environ.get("BN_LINT_SERVER_DEBOUNCE_MS", "50"))
    print(f"debounce {debounce:.0f} ms; {args.edits} one-line edits; {args.chars} characters typed "
          f"{args.gap_ms:.0f} ms apart; {os.cpu_count()} CPUs")
    print(f"{'lines':>6} {'edit median':>12} {'(min-max)':>14} {'minus debounce':>15} {'in-process':>11} "
          f"{'typing lag':>11} {'publishes':>10}")
    for size in args.sizes:
        r = measure(size, args.edits, args.chars, args.gap_ms / 1000)
        median = statistics.median(r["edit_ms"])
        spread = f"{min(r['edit_ms']):.0f}-{max(r['edit_ms']):.0f}"
        print(f"{r['lines']:>6} {median:>9.0f} ms {spread:>11} ms {median - debounce:>12.0f} ms "
              f"{statistics.median(r['in_process_ms']):>8.0f} ms {r['typing_lag_ms']:>8.0f} ms {r['typing_publishes']:>10}")
    cross = measure_cross_file(args.edits)
    print(f"cross-file (helper edited, its caller open): median {statistics.median(cross):.0f} ms "
          f"({min(cross):.0f}-{max(cross):.0f})")


if __name__ == "__main__":
    main()
