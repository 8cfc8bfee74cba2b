"""Differential check of bn-lint's notebook reader against IPython, over real notebooks.

    python benchmarks/notebooks/differential.py DIR [DIR...] [--examples N]

For every code cell of every ``*.ipynb`` under the folders: IPython's verdict
(``TransformerManager().transform_cell(cell)`` then ``ast.parse``: can IPython
make Python of it?) against bn-lint's (the cell is not BN900 in
``Notebook.parse``). Prints cells, notebooks, agreements and disagreements with
examples. IPython is needed here (the test extra), never by bn-lint itself.
Notebooks are not part of the project: gather them apart (README.md here
says how, and gives the figures of the last run).
"""
from __future__ import annotations

import argparse
import ast
import sys
import time
import warnings
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

from bn_lint.notebook import Notebook, NotNotebook


def ipython_accepts(transformer: TransformerManager, cell: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(transformer.transform_cell(cell))
    except Exception:  # (IPython's transformer itself fails on some cells: it cannot run them)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--examples", type=int, default=10, help="disagreements shown (default 10)")
    args = parser.parse_args(argv)
    transformer = TransformerManager()
    paths = sorted({p for folder in args.folders for p in ([folder] if folder.is_file() else folder.rglob("*.ipynb"))})
    notebooks = cells = accepted = rejected = skipped = 0
    disagreements: list[tuple[str, int, bool, str]] = []
    started = time.perf_counter()
    for path in paths:
        raw = path.read_bytes()
        try:
            notebook = Notebook.parse(raw)
        except NotNotebook as error:
            skipped += 1
            print(f"skipped {path}: {error}", file=sys.stderr)
            continue
        notebooks += 1
        failing = {index for index, *_ in notebook.errors}
        for cell in notebook.cells:
            cells += 1
            ipython = ipython_accepts(transformer, cell.raw)
            accepted += ipython
            rejected += not ipython
            if ipython == (cell.index in failing):
                message = next((m for i, _, _, m in notebook.errors if i == cell.index), "")
                disagreements.append((str(path), cell.index, ipython, message, cell.raw))
    seconds = time.perf_counter() - started
    print(f"notebooks: {notebooks} ({skipped} not read: not nbformat 4 Python notebooks, see stderr)")
    print(f"code cells: {cells} (IPython accepts {accepted}, rejects {rejected})")
    print(f"agreements: {cells - len(disagreements)}")
    print(f"disagreements: {len(disagreements)}"
          f" (BN900 where IPython accepts: {sum(1 for d in disagreements if d[2])},"
          f" read where IPython rejects: {sum(1 for d in disagreements if not d[2])})")
    print(f"time: {seconds:.1f} s")
    for path, index, ipython, message, source in disagreements[:args.examples]:
        verdict = "IPython accepts, bn-lint BN900" if ipython else "IPython rejects, bn-lint reads it"
        print(f"\n--- {path} cell {index}: {verdict} {message}")
        lines = source.splitlines()
        print("\n".join("    " + line for line in lines[:12]) + ("\n    ..." if len(lines) > 12 else ""))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
