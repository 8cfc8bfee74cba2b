"""Speed of bn-lint on real PyTorch-heavy code.

Downloads pinned wheels with ``pip download --no-deps`` into
``$TMPDIR/bn-lint-bench/`` (``BN_LINT_BENCH_DIR``; or copies them from ``--wheels DIR``), unzips the
``.py`` files (each package a git work tree, as a user's project), and prints files, lines, wall time, files/s and peak memory for:
libcst parse-only (the floor), bn-lint cold, warm (cache), ``--jobs 1``,
one-file runs (no cache, beside its floor: a fresh python that imports libcst and parses the file; an
edited file with the project index warm; a file the pre-filter clears), and a full-metadata libcst parse with QualifiedNameProvider
(sampled when ``--qn-sample`` is given); plus the ratio cold / parse-only.

    python benchmarks/speed.py [--wheels /work/corpus/dl] [--jobs N] [--qn-sample 0.2] [--repeat 3]
                               [--pins timm==1.0.31]

Every bn-lint run is a fresh ``python -m bn_lint check`` process, with bn_lint's
bytecode compiled first (as ``pip install`` does; ``PYTHONDONTWRITEBYTECODE``
would otherwise make every run compile it again); peak memory
is the largest resident set of that process and its workers (``ru_maxrss`` of
children, so a pool reports its biggest worker).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PINNED = ("timm==1.0.15", "torchvision==0.22.0", "transformers==4.51.3")
ROOT = Path(__file__).resolve().parent.parent
# outside the checkout: inside it, the unpacked code would be part of bn-lint's own git work tree (an
# ignored folder), and a one-file check would look for its importers there
CACHE = Path(os.environ.get("BN_LINT_BENCH_DIR") or Path(tempfile.gettempdir()) / "bn-lint-bench")

_PARSE_ONLY = """
import sys, libcst as cst
from bn_lint.source import read_source
n = 0
for path in sys.argv[1:]:
    try:
        cst.parse_module(read_source(path).text); n += 1
    except Exception:
        pass
"""

_QUALIFIED = """
import sys, libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider
from bn_lint.source import read_source
for path in sys.argv[1:]:
    try:
        MetadataWrapper(cst.parse_module(read_source(path).text)).resolve(QualifiedNameProvider)
    except Exception:
        pass
"""

_PARSED_BY_BN_LINT = """
import sys
from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.parsing import syntax_error
from bn_lint.source import read_source
checker = Checker(Settings())
with open(sys.argv[1], "w") as out:
    for path in sys.argv[2:]:
        try:
            text = read_source(path).text
        except Exception:
            continue
        if checker.active_rules(text) and "\\x00" not in text and syntax_error(text) is None:
            out.write(path + "\\n")
"""


def _wheel(requirement: str, folder: Path) -> Path | None:
    name, version = requirement.split("==")
    found = sorted(folder.glob(f"{name}-{version}-*.whl"))
    return found[0] if found else None


def prepare(wheels: str | None, pins: tuple[str, ...] = PINNED) -> dict[str, list[str]]:
    downloads = CACHE / "dl"
    downloads.mkdir(parents=True, exist_ok=True)
    corpus: dict[str, list[str]] = {}
    for requirement in pins:
        wheel = _wheel(requirement, downloads)
        if wheel is None and wheels and _wheel(requirement, Path(wheels)):
            shutil.copy(_wheel(requirement, Path(wheels)), downloads)
            wheel = _wheel(requirement, downloads)
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q",
                            "-d", str(downloads), requirement], check=True)
            wheel = _wheel(requirement, downloads)
        target = CACHE / "src" / wheel.stem
        if not (target / ".complete").exists():
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target, [n for n in archive.namelist() if n.endswith(".py")])
            # a project as a pre-commit hook sees it: a git work tree (where importers are found by git grep)
            if shutil.which("git"):
                subprocess.run(["git", "init", "-q", str(target)], check=True)
                subprocess.run(["git", "-C", str(target), "add", "-A"], check=True)
            (target / ".complete").write_text("")
        corpus[requirement] = sorted(str(p) for p in target.rglob("*.py"))
    return corpus


def _spread(runs: list[tuple[float, float, str]]) -> str:
    """How the repeated runs of one kind spread, for the notes column."""
    walls = sorted(wall for wall, _, _ in runs)
    return f"fastest of {len(walls)}: {' / '.join(f'{w:.2f}' for w in walls)} s" if len(walls) > 1 else ""


def run(args: list[str], cwd: str, user_cache: str = "xdg") -> tuple[float, float, str]:
    """(wall seconds, peak MiB, stderr tail) of one subprocess (and its children).

    ``user_cache``: the folder, under ``cwd``, that stands for the user's cache folder (where
    bn-lint keeps the compiled code of libcst's dataclasses): warm after the first run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "XDG_CACHE_HOME": os.path.join(cwd, user_cache)}
    script = ("import resource, subprocess, sys, time\n"
              "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True)\n"
              "w = time.perf_counter() - t\n"
              "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode)\n"
              "sys.stderr.write(p.stderr.decode()[-400:])\n")
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True)
    wall, peak, rc = done.stdout.split()
    if int(rc) not in (0, 1):
        raise SystemExit(f"failed ({rc}): {args[:6]}...\n{done.stderr}")
    return float(wall), float(peak), done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheels", help="a folder that already holds the pinned wheels (e.g. /work/corpus/dl)")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for the cold and warm runs (default: cores)")
    parser.add_argument("--qn-sample", type=float, default=1.0, help="fraction of files for the QualifiedNameProvider run")
    parser.add_argument("--one-file", help="the file for the one-file run (default: timm's models/resnet.py)")
    parser.add_argument("--one-file-sample", type=int, default=30,
                        help="also time one-file runs on this many random files of those bn-lint parses")
    parser.add_argument("--one-file-only", action="store_true",
                        help="only the one-file runs (after one cold run that fills the project index)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run parse-only (files bn-lint parses), bn-lint cold and QualifiedNameProvider this many "
                             "times, interleaved; report the fastest of each")
    parser.add_argument("--pins", nargs="+", default=list(PINNED),
                        help=f"the pinned packages to lint (default: {' '.join(PINNED)})")
    options = parser.parse_args()
    if options.one_file_sample < 1:
        parser.error("--one-file-sample must be at least 1 (the median of the one-file runs needs a file)")
    corpus = prepare(options.wheels, tuple(options.pins))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bn_lint")], check=True, stdout=subprocess.DEVNULL)
    files = [f for group in corpus.values() for f in group]
    lines = sum(Path(f).read_bytes().count(b"\n") for f in files)
    py = sys.executable
    print(f"corpus: {', '.join(corpus)}: {len(files)} files, {lines:,} lines; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    rows = []
    work = tempfile.mkdtemp(prefix="bn-lint-bench-")
    listing = os.path.join(work, "files.txt")
    Path(listing).write_text("\n".join(files))
    try:
        # the files bn-lint parses at all (the pre-filter passes them and they are valid Python)
        parsed_list = os.path.join(work, "parsed.txt")
        subprocess.run([py, "-c", _PARSED_BY_BN_LINT, parsed_list, *files], env={**os.environ, "PYTHONPATH": str(ROOT)},
                       check=True)
        parsed = Path(parsed_list).read_text().split()
        parsed_lines = sum(Path(f).read_bytes().count(b"\n") for f in parsed)

        def row(name: str, n_files: int, n_lines: int, wall: float, peak: float, note: str = "") -> None:
            rows.append((name, n_files, n_lines, wall, peak, note))
            print(f"{name:<34} {n_files:>6} {n_lines:>9,} {wall:>8.2f}s {n_files / wall:>8.0f}/s {peak:>7.0f} MiB  {note}",
                  flush=True)

        print(f"{'run':<34} {'files':>6} {'lines':>9} {'wall':>9} {'files/s':>10} {'peak':>11}")
        cache = os.path.join(work, "cache")
        jobs = ["--jobs", str(options.jobs)] if options.jobs else []
        check = [py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--format", "concise", "--cache-dir", cache, *jobs]
        if options.one_file_only:
            run([*check, *files], work)
            one_file_runs(options, files, parsed, cache, work, py, row)
            return
        sample = files
        if options.qn_sample < 1.0:
            sample = sorted(random.Random(0).sample(files, max(1, int(len(files) * options.qn_sample))))
        sample_lines = sum(Path(f).read_bytes().count(b"\n") for f in sample)
        # the runs the ratios compare, interleaved, so that a machine whose speed drifts (shared cores)
        # slows each of them alike; with --repeat, the fastest of each
        single_check = [py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--format", "concise", "--no-cache",
                        "--jobs", "1", *files]
        parses, colds, qns, alls, singles = [], [], [], [], []
        for _ in range(options.repeat):
            parses.append(run([py, "-c", _PARSE_ONLY, *parsed], work))
            shutil.rmtree(cache, ignore_errors=True)
            colds.append(run([*check, *files], work))
            qns.append(run([py, "-c", _QUALIFIED, *sample], work))
            alls.append(run([py, "-c", _PARSE_ONLY, *files], work))
            singles.append(run(single_check, work))
        wall, peak, _ = min(alls)
        row("libcst parse-only, every file", len(files), lines, wall, peak, _spread(alls))
        parse_all = wall
        wall, peak, _ = min(parses)
        row("libcst parse-only, files bn-lint parses", len(parsed), parsed_lines, wall, peak, _spread(parses))
        parse_needed = wall
        wall, peak, _ = min(colds)
        row("bn-lint cold" + (f" --jobs {options.jobs}" if jobs else " (default jobs)"), len(files), lines, wall, peak,
            _spread(colds))
        cold = wall
        wall, peak, _ = min(qns)
        qn_all = wall * lines / sample_lines  # its cost grows with the code, so a sample is scaled by lines
        row("libcst + QualifiedNameProvider", len(sample), sample_lines, wall, peak,
            ("" if sample is files else f"sample of {len(sample)}; scaled by lines to all: {qn_all:.1f}s; ") + _spread(qns))
        wall, peak, _ = run([*check, *files], work)
        row("bn-lint warm (cache)", len(files), lines, wall, peak)
        warm = wall
        wall, peak, _ = min(singles)
        row("bn-lint --jobs 1 --no-cache", len(files), lines, wall, peak, _spread(singles))
        single = wall
        best, median, under, walls, edited_median, edited_under, edited, cleared_walls = one_file_runs(
            options, files, parsed, cache, work, py, row)
        print()
        print(f"cold / parse-only (files bn-lint parses): {cold / parse_needed:.2f}x   (target <= 1.5x)")
        print(f"cold / parse-only (every file):           {cold / parse_all:.2f}x")
        print(f"--jobs 1 / parse-only (files it parses):  {single / parse_needed:.2f}x")
        print(f"--jobs 1 / parse-only (every file):       {single / parse_all:.2f}x   (target <= 1.0x)")
        print(f"QualifiedNameProvider / cold:             {qn_all / cold:.1f}x   (target >= 20x)")
        print(f"warm / cold:                              {warm / cold:.1%}   (target <= 10%)")
        print(f"one file:                                 {best:.3f}s   (target <= 0.3 s)")
        print(f"one file, random parsed files:            median {median:.3f}s, {under}/{len(walls)} <= 0.3 s")
        print(f"  the same, edited, project index warm:   median {edited_median:.3f}s, {edited_under}/{len(edited)} <= 0.3 s")
        print(f"one file the pre-filter clears:           median {cleared_walls[len(cleared_walls) // 2]:.3f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def one_file_runs(options, files, parsed, cache, work, py, row):
    """The one-file rows: a fixed file, random parsed files (cold, then edited with the project
    index warm) and files the pre-filter clears."""
    one = options.one_file or next(f for f in files if f.endswith("timm/models/resnet.py"))
    one_lines = Path(one).read_bytes().count(b"\n")
    best = min(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--no-cache", one], work)[0] for _ in range(5))
    row(f"one file ({Path(one).name}, best of 5)", 1, one_lines, best, 0.0, "no cache")
    # the floor of any libcst-based check of that file: a fresh python that imports libcst and parses it
    floor = min(run([py, "-c", f"import libcst; libcst.parse_module(open({one!r}, encoding='utf-8').read())"], work)[0]
                for _ in range(5))
    row("  floor: python, import libcst, parse", 1, one_lines, floor, 0.0, "best of 5; no analysis")
    first = min(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--no-cache", one], work, f"xdg-fresh-{n}")[0]
                for n in range(3))
    row("the same, user cache folder empty", 1, one_lines, first, 0.0, "a machine's first run; best of 3")
    # the same file edited in place (its importers unchanged) with the cold run's project index warm:
    # a pre-commit or editor check of it in a project checked before
    # (each run a new edit: the result of an unchanged file comes from the cache)
    original = Path(one).read_bytes()
    warm_walls = []
    try:
        for n in range(5):
            Path(one).write_bytes(original + f"\n# edited {n}\n".encode())
            warm_walls.append(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--cache-dir", cache, one],
                                  work)[0])
    finally:
        Path(one).write_bytes(original)
    warm_one = min(warm_walls)
    row(f"{Path(one).name} edited, project index warm", 1, one_lines, warm_one, 0.0,
        f"best of 5; {warm_one / floor:.2f}x the floor (target <= 1.5x); the first edit after the "
        f"whole-project run {warm_walls[0]:.2f}s ({warm_walls[0] / floor:.2f}x)")
    picked = sorted(random.Random(1).sample(parsed, min(options.one_file_sample, len(parsed))))
    walls = sorted(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--no-cache", f], work)[0] for f in picked)
    picked_lines = sorted(Path(f).read_bytes().count(b"\n") for f in picked)
    under = sum(w <= 0.3 for w in walls)
    median = walls[len(walls) // 2]
    row(f"one file, median of {len(picked)} parsed files", 1, picked_lines[len(picked_lines) // 2], median, 0.0,
        f"(lines: median) p90 {walls[int(len(walls) * 0.9)]:.2f}s, max {walls[-1]:.2f}s "
        f"({picked_lines[-1]} lines at most); {under}/{len(walls)} <= 0.3 s")
    # the same files, edited (a copy beside each, so relative imports resolve), with the project
    # index of the cold run's cache: a pre-commit run on a changed file of a project checked before
    edited = []
    for f in picked:
        copy = Path(f).with_name("_bn_lint_bench_edit.py")
        copy.write_bytes(Path(f).read_bytes() + b"\n# edited\n")
        try:
            edited.append(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--cache-dir", cache, str(copy)],
                              work)[0])
        finally:
            copy.unlink()
    edited.sort()
    edited_median = edited[len(edited) // 2]
    edited_under = sum(w <= 0.3 for w in edited)
    row("one file edited, project index warm", 1, picked_lines[len(picked_lines) // 2], edited_median, 0.0,
        f"same {len(picked)} files: p90 {edited[int(len(edited) * 0.9)]:.2f}s, max {edited[-1]:.2f}s; "
        f"{edited_under}/{len(edited)} <= 0.3 s")
    cleared = sorted(random.Random(2).sample(sorted(set(files) - set(parsed)), min(options.one_file_sample,
                                                                                    len(files) - len(parsed))))
    cleared_walls = sorted(run([py, "-m", "bn_lint", "check", "--exit-zero", "-q", "--no-cache", f], work)[0]
                           for f in cleared)
    row(f"one file, median of {len(cleared)} not parsed", 1, 0, cleared_walls[len(cleared_walls) // 2], 0.0,
        f"files the pre-filter clears; max {cleared_walls[-1]:.2f}s")
    return best, median, under, walls, edited_median, edited_under, edited, cleared_walls


if __name__ == "__main__":
    main()
