"""Issue 31 "must show": N mutants of real files checked in-process: 0 crashes, 0 hangs over 30 s.

python benchmarks/fuzz_mutants.py CORPUS [N] [SEED]

Real files (those of CORPUS that mention torch, under 60 KB) are mutated by tests/mutations.py
(delete, duplicate, swap lines and tokens, truncate, insert unicode, CR-only, ...; 1 to 3 steps),
then checked (``Checker.check_bytes``: decoding, the compiler check, libcst, every rule) and, when
they compile, fixed in memory. A crash is an exception or an internal error; a file that takes
over 30 s ends the run (faulthandler prints where it hung).
"""
from __future__ import annotations

import ast
import faulthandler
import os
import random
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bn_lint.config import Settings  # noqa: E402
from bn_lint.engine import Checker  # noqa: E402
from bn_lint.fixer import fix_source  # noqa: E402
from tests.mutations import mutate  # noqa: E402

HANG_S = 30


def main() -> int:
    corpus = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 31)
    files = []
    for folder, _, names in os.walk(corpus):
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(".py") and 200 < os.path.getsize(path) < 60_000:
                with open(path, "rb") as handle:
                    data = handle.read()
                if b"torch" in data:
                    files.append((path, data))
    files.sort()
    print(f"{len(files)} real files to mutate", flush=True)
    checker = Checker(Settings(select=("BN",)))
    crashes, codes, kinds = [], Counter(), Counter()
    slowest = (0.0, "")
    start = time.time()
    for i in range(count):
        path, data = rng.choice(files)
        text, names = mutate(data.decode("utf-8", "surrogatepass"), rng, rng.randint(1, 3))
        kinds.update(names)
        raw = text.encode("utf-8", "surrogatepass")
        faulthandler.dump_traceback_later(HANG_S, exit=True)
        began = time.perf_counter()
        try:
            result = checker.check_bytes("mutant.py", raw)
            if result.errors:
                crashes.append((path, names, result.errors))
            codes.update(f.code for f in result.findings)
            try:
                ast.parse(raw)
                compiles = True
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                compiles = False
            if compiles and result.source is not None and any(f.fix for f in result.findings):
                fixed = fix_source(checker, "mutant.py", result.source, result)
                if fixed.result.errors:
                    crashes.append((path, names, fixed.result.errors))
                elif fixed.changed:
                    ast.parse(fixed.text)
        except Exception as error:  # noqa: BLE001 - what the run counts
            crashes.append((path, names, [f"{type(error).__name__}: {error}"]))
        finally:
            faulthandler.cancel_dump_traceback_later()
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, f"{path} {names}")
        if (i + 1) % 1000 == 0:
            print(f"{i + 1} mutants, {len(crashes)} crashes, {time.time() - start:.0f} s", flush=True)
    print(f"mutants: {count}; crashes: {len(crashes)}; hangs over {HANG_S} s: 0; "
          f"slowest: {slowest[0]:.2f} s ({slowest[1]}); wall {time.time() - start:.0f} s")
    print("mutations:", dict(sorted(kinds.items())))
    print("findings:", dict(sorted(codes.items())))
    for crash in crashes[:20]:
        print("CRASH", crash)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
