"""The ``bn-lint`` command line."""
from __future__ import annotations

import functools
import io
import sys
import time
from collections import Counter

import click

from . import __version__
from .codes import KNOWN_CODES
from .config import FORMATS, ConfigError, Settings
from .codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_TERMINATED  # noqa: F401
from .runner import Terminated
from .resolve import Overrides, Resolver, build_settings  # noqa: F401



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bn-lint")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Find BatchNorm misuse in PyTorch code."""
    from .import_cache import cached_dataclass_code
    from .lazy import import_lazily

    import_lazily("libcst")  # in bn-lint's own process only (never on `import bn_lint`: see lazy.py)
    # the generated methods of every dataclass the command defines (libcst's, bn-lint's own), compiled
    # once per machine: bn-lint's 57 took 0.034 s of a 0.6 s one-file run
    ctx.with_resource(cached_dataclass_code())


_QUICK_EXIT = []  # set by a command whose process holds nothing that must run at exit


def entry() -> None:
    """The ``bn-lint`` console script: ``main``, then, after ``check``, ``os._exit`` with its exit code.

    A check keeps the tree of every file the project read; freeing them one by one at interpreter exit
    took 2 s of a 14 s run over timm's 304 files. mypy leaves the same way (``util.hard_exit``). Other
    commands end as usual (``trace`` runs the user's program, whose exit handlers must run).
    """
    import os

    try:
        main()
    except SystemExit as done:
        if not _QUICK_EXIT or not isinstance(done.code, (int, type(None))):
            raise
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader that went away (`| head`), a closed stream
                pass
        os._exit(done.code or 0)


def _guarded(command):
    """A crash is one line and exit 2 (not 1, "findings"); Ctrl-C exits 130, as shells expect."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            try:
                return command(*args, **kwargs)
            finally:  # (a child checking the importers of a one-file run, not waited for: the run stopped early)
                beside = sys.modules.get("bn_lint.beside")
                if beside is not None:
                    beside.end_children()
        except KeyboardInterrupt:
            click.echo("\nbn-lint: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Terminated:
            click.echo("bn-lint: terminated (SIGTERM): the check was stopped, its workers ended", err=True)
            sys.exit(EXIT_TERMINATED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            from .engine import _internal

            click.echo(f"bn-lint: {_internal('error', 'bn-lint', error).split(': ', 1)[1]}", err=True)
            sys.exit(EXIT_ERROR)

    return run


def _check_selection(settings: Settings, select: tuple[str, ...]) -> None:
    """An empty selection (``--select ""`` from an unset CI variable, ``select = []``) is an error, not a pass."""
    from .resolve import split

    if select and not split(select):
        raise ConfigError("--select names no rule code (an empty value?): give codes or prefixes, e.g. --select BN")
    if not any(settings.is_selected(code) for code in KNOWN_CODES):
        where = f"{settings.config_path}: " if settings.config_path else ""
        raise ConfigError(f"{where}no rule is selected (select {list(settings.select)}, "
                          f"ignore {list(settings.ignore)}): nothing would be checked")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: full).")
@click.option("--config", type=click.Path(dir_okay=False), help="Read settings from this file.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes to enable on top of the selection.")
@click.option("--exclude", multiple=True, help="Gitignore-style patterns replacing the default excludes.")
@click.option("--extend-exclude", multiple=True, help="Patterns to exclude on top of the defaults.")
@click.option("--min-batch-size", type=click.IntRange(min=1), help="Smallest training batch size (BN301/BN304).")
@click.option("--stdin-filename", help="Read the source from standard input and report it (and find its config) as this path.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what is left.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None,
              help="Also apply (and mark [*]) the fixes that change behaviour (BN204, BN205, BN302).")
@click.option("--fixable", multiple=True, help="Codes or prefixes whose fixes may be applied (default: ALL).")
@click.option("--unfixable", multiple=True, help="Codes or prefixes whose fixes are never applied.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing (exit 1 when there is a diff).")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix), or that --fix would apply (alone or with --diff).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core; 1: no pool).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache directory (default: .bn_lint_cache/ in the project root).")
@click.option("--add-noqa", is_flag=True, help="Add '# noqa: CODE' to the line of every finding (adopting bn-lint on existing code).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Known findings: recorded here if the file is missing, not reported if in it.")
@click.option("--fail-on", type=click.Choice(["warning", "error"]), default="warning", show_default=True,
              help="Exit 1 only for findings of this severity or worse.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the full format.")
@click.option("--show-settings", is_flag=True, help="Print the settings for the first path, with where each comes from; check nothing.")
@click.option("--show-files", is_flag=True, help="Print the files that would be checked; check nothing.")
@_guarded
def check(
    paths: tuple[str, ...],
    fmt: str | None,
    config: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    min_batch_size: int | None,
    stdin_filename: str | None,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    output_file: str | None,
    fix: bool,
    unsafe_fixes: bool | None,
    fixable: tuple[str, ...],
    unfixable: tuple[str, ...],
    diff: bool,
    show_fixes: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    add_noqa: bool,
    baseline: str | None,
    fail_on: str,
    color: str,
    show_settings: bool,
    show_files: bool,
) -> None:
    """Check PATHS (default: the current directory) for BatchNorm misuse."""
    started = time.monotonic()
    _QUICK_EXIT.append(True)
    if stdin_filename is not None and "-" not in paths:
        paths = (*paths, "-")  # as ruff: --stdin-filename reads the source from standard input
    paths = paths or (".",)
    if fix and not diff and "-" in paths:
        _fail("--fix cannot write to standard input; use --diff")
    overrides = Overrides(select, ignore, extend_select, exclude, extend_exclude, min_batch_size, fmt,
                          fixable, unfixable, unsafe_fixes)
    file_paths = [p for p in paths if p != "-"]
    from . import session

    try:
        resolver = Resolver(overrides, config)
        settings = resolver.for_path(file_paths[0] if file_paths else stdin_filename)  # output options
        stdin_settings = resolver.for_path(stdin_filename) if "-" in paths else None
        _check_selection(settings, select)
        if show_settings:
            from .settings_view import describe

            click.echo(describe(paths, config, settings, overrides))
            sys.exit(EXIT_CLEAN)
        found = session.find_files(file_paths, resolver)
        for path in found.files:  # (a bad configuration in a sub-folder is the run's error, named, before any check)
            _check_selection(resolver.for_path(path), ())
    except ConfigError as error:
        _fail(str(error))
    _warn_runtime_only(select + extend_select)
    if file_paths and not found.files and not found.missing and not found.unreadable:
        click.echo("bn-lint: warning: no Python files or notebooks found under the given paths "
                   "(ignored by .gitignore or excluded?)", err=True)  # (as ruff: not an error)
    for missing in found.missing:
        click.echo(f"bn-lint: error: {missing}: no such file or directory", err=True)
    for folder in found.unreadable:
        click.echo(f"bn-lint: error: {folder}: cannot read the folder", err=True)
    caches: dict = {}

    def cache_for(group: Settings):
        if no_cache:
            return None
        if group not in caches:
            from .cache import Cache, default_directory

            caches[group] = Cache(cache_dir or default_directory(group, file_paths), group)
        return caches[group]

    from .engine import Checker

    results = []
    stdin_name = stdin_filename or "-"
    if show_files:
        for path in found.files:
            click.echo(path)
        sys.exit(EXIT_ERROR if found.missing or found.unreadable else EXIT_CLEAN)
    if "-" in paths:
        results.append(Checker(stdin_settings).check_bytes(stdin_name, sys.stdin.buffer.read()))
    from .progress import bar, wanted

    importer_search = session.start_importer_search(found.files, resolver)  # (git grep beside the check)
    # (the importers are checked beside the files, unless fixes may change the files they read first)
    importer_findings = session.start_from_importers(found.files, resolver, jobs, cache_for, importer_search,
                                                     beside=not (fix or diff or show_fixes or add_noqa))
    with bar(len(found.files), wanted(settings.format, quiet or bool(output_file), len(found.files))) as advance:
        results.extend(session.check(found.files, resolver, jobs, cache_for, advance))
    failed = bool(found.missing or found.unreadable)
    from .cache_clean import prune

    for cache in caches.values():
        prune(cache.directory)  # (entries unused for a month; at most once a day)

    if fix or diff or show_fixes:
        fixed = _fix(results, resolver, stdin_settings if "-" in paths else None, stdin_name, write=fix and not diff)
        if fix and not diff:
            results = fixed.results
        _report_fixes(fixed, fix and not diff, diff, show_fixes, quiet, output_file if diff else None)
        if diff:
            errors = [e for r in results for e in r.errors]
            # a file that cannot be read or parsed has no diff: say so, rather than an empty "no change"
            errors += [f"{f.path}:{f.line}:{f.column}: not fixed: {f.code} {f.message}"
                       for r in results for f in r.findings if f.code in ("BN900", "BN901")]
            for error in errors:
                click.echo(f"bn-lint: {error}", err=True)
            if errors or failed:
                sys.exit(EXIT_ERROR)
            sys.exit(EXIT_FINDINGS if fixed.diff() else EXIT_CLEAN)

    # (a finding in a helper's file can come from two checked files that call it: listed once)
    findings = [f for r in results for f in r.findings]
    findings += importer_findings()
    unique = {(f.sort_key, f.message): f for f in findings}
    findings = session.one_per_defect(sorted(unique.values(), key=lambda f: f.sort_key))
    errors = [e for r in results for e in r.errors]
    sources = {r.path: r.source for r in results if r.source is not None}
    notebooks = {r.path: r.notebook for r in results if r.notebook is not None}
    if add_noqa:
        from .adoption import add_noqa as write_noqa

        done = write_noqa(results, findings)
        for error in [*errors, *done.errors]:
            click.echo(f"bn-lint: {error}", err=True)
        click.echo(f"Added {_plural(done.added, 'noqa directive')} to {_plural(done.files, 'file')}.", err=True)
        sys.exit(EXIT_ERROR if errors or done.errors or failed else EXIT_CLEAN)
    if baseline:
        findings = _apply_baseline(baseline, findings, sources, notebooks, settings, quiet)
    run_errors = errors + [f"{missing}: no such file or directory" for missing in found.missing] \
        + [f"{folder}: cannot read the folder" for folder in found.unreadable]
    context = {"errors": run_errors, "checked": [r.path for r in results], "elapsed": time.monotonic() - started}
    written = _emit(settings, findings, sources, notebooks, len(results), statistics, output_file, color, context)
    for error in errors:
        click.echo(f"bn-lint: {error}", err=True)
    from .noqa_audit import audit

    for warning in audit(found.files, resolver):
        click.echo(f"bn-lint: warning: {warning}", err=True)
    if not quiet and settings.format in ("full", "concise"):
        click.echo(_summary(settings, findings, len(results), len(found.missing)), err=True)
    if errors or failed or not written:
        sys.exit(EXIT_ERROR)
    failing = [f for f in findings if fail_on == "warning" or f.severity.value == "error"]
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _apply_baseline(baseline: str, findings, sources, notebooks, settings, quiet: bool):
    """Record the findings in a new baseline file (and report none), or drop those an existing one lists."""
    import os

    from .adoption import Baseline, BaselineError

    text_of = _text_of(sources, notebooks)
    if not os.path.exists(baseline):
        recorded = Baseline.record(findings, text_of, settings.root)
        try:
            with open(baseline, "x", encoding="utf-8") as handle:
                handle.write(recorded.dumps())
        except OSError as error:
            _fail(f"{baseline}: cannot write the baseline: {error.strerror or error}")
        click.echo(f"Recorded {_plural(len(findings), 'finding')} in the baseline {baseline}.", err=True)
        return []
    try:
        known = Baseline.load(baseline)
    except BaselineError as error:
        _fail(str(error))
    new, matched = known.new_findings(findings, text_of, settings.root)
    if matched and not quiet:
        click.echo(f"{_plural(matched, 'finding')} in the baseline {baseline} not shown.", err=True)
    return new


def _text_of(sources, notebooks):
    """The source line of a finding (in its cell, for a notebook)."""
    from .report import ReportContext

    line_of, cell_line_of = _line_lookups(sources, notebooks)
    return ReportContext(line_of=line_of, cell_line_of=cell_line_of).text_of


def _line_lookups(sources, notebooks):
    """``line_of(path, line)`` and ``cell_line_of(path, cell, line)``: source lines for the reporters."""
    from .source import UnreadableSource, read_source, split_lines

    cache: dict[str, list[str]] = {}

    def cell_line_of(path: str, cell: int, line: int) -> str | None:
        lines = notebooks[path].cell_lines(cell) if path in notebooks else []
        return lines[line - 1] if 0 < line <= len(lines) else None

    def line_of(path: str, line: int) -> str | None:
        lines = cache.get(path)
        if lines is None:
            source = sources.get(path)
            try:  # (a finding in another project file than the one checked: BN101 in a helper)
                source = source or read_source(path)
            except UnreadableSource:
                source = None
            lines = cache[path] = split_lines(source.text) if source is not None else []
        return lines[line - 1] if 0 < line <= len(lines) else None

    return line_of, cell_line_of


def _summary(settings: Settings, findings: list, checked: int, missing: int) -> str:
    """The closing line: findings, files, what --fix (and --unsafe-fixes) would do, paths not found."""
    can_fix = sum(1 for f in findings if settings.can_fix(f))
    hidden = sum(1 for f in findings if f.fix and not f.fix.safe and not settings.unsafe_fixes)
    if findings:
        summary = f"Found {_plural(len(findings), 'finding')} in {_plural(len({f.path for f in findings}), 'file')}" \
                  f" ({_plural(checked, 'file')} checked)."
    elif missing:
        summary = f"No findings in {_plural(checked, 'file')} checked."
    else:
        summary = f"All checks passed ({_plural(checked, 'file')} checked)."
    if can_fix:
        summary += f" {can_fix} fixable with --fix."
    if hidden:
        summary += f" ({_plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with --unsafe-fixes.)"
    if missing:
        summary += f" {_plural(missing, 'path')} not found."
    return summary


def _warn_runtime_only(selected: tuple[str, ...]) -> None:
    """A note for ``--select BN401``: the tracer's codes are never reported by ``check``."""
    from .registry import all_rules
    from .resolve import split

    for prefix in split(selected):
        matching = [r for r in all_rules() if r.code.startswith(prefix.upper())]
        if matching and all(r.runtime_only for r in matching):
            click.echo(f"bn-lint: warning: {prefix} is reported only at run time, by 'bn-lint trace'; "
                       "'bn-lint check' never reports it", err=True)


def _fix(results, resolver: Resolver, stdin_settings: Settings | None, stdin_name: str, write: bool):
    """Fix the files behind ``results``, each with the settings of its file."""
    from .engine import Checker
    from .fixer import FixRun, fix_results

    by_settings: dict[Settings, list] = {}
    for result in results:
        own = stdin_settings if stdin_settings is not None and result is results[0] else resolver.for_path(result.path)
        by_settings.setdefault(own, []).append(result)
    files, fixed_results = [], []
    for own, group in by_settings.items():
        run = fix_results(Checker(own), group, write=write, stdin_path=stdin_name if stdin_settings is not None else None)
        files += run.files
        fixed_results += run.results
    return FixRun(files, fixed_results)


def _report_fixes(fixed, written: bool, diff: bool, show_fixes: bool, quiet: bool, diff_file: str | None) -> None:
    """--diff: the diff on stdout (or in ``diff_file``). --show-fixes: what was (or would be) fixed, on stderr."""
    if diff:
        from . import output

        try:
            output.write(fixed.diff(), diff_file)
        except output.OutputError as error:
            _fail(str(error))
    done = [(f, outcome.path) for outcome in fixed.files if outcome.written or not written for f in outcome.applied]
    verb = "Fixed" if written else "Would fix"
    if show_fixes:
        click.echo(f"{verb} {len(done)} finding{'s' if len(done) != 1 else ''}:" if done else f"{verb} nothing.", err=True)
        for finding, _ in done:
            click.echo(f"  {finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.fix.description}", err=True)
        skipped = [item for outcome in fixed.files for item in outcome.not_applied]
        if skipped:
            click.echo("Not fixed:", err=True)
            for finding, why in skipped:
                click.echo(f"  {finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.fix.description}: {why}", err=True)
    elif not quiet and done:
        files = len({path for _, path in done})
        click.echo(f"{verb} {len(done)} finding{'s' if len(done) != 1 else ''} in {files} file{'s' if files != 1 else ''}.", err=True)


def _emit(settings, findings, sources, notebooks, files_checked, statistics, output_file, color="auto",
          extra: dict | None = None) -> bool:
    """Write the report; False (after a one-line message) when it could not be written where asked."""
    fmt = settings.format
    from .report import ReportContext, render

    line_of, cell_line_of = _line_lookups(sources, notebooks)
    from . import output

    shown, real = output.printable_findings(findings, fmt)  # (JSON, SARIF, XML: names that are valid Unicode)
    if extra and "checked" in extra:
        extra = {**extra, "checked": [output.printable_path(path, fmt) for path in extra["checked"]]}
    context = ReportContext(files_checked=files_checked, line_of=lambda path, line: line_of(real.get(path, path), line),
                            cell_line_of=lambda path, cell, line: cell_line_of(real.get(path, path), cell, line),
                            file_place_of=lambda path, cell, line, column: (
                                notebooks[real.get(path, path)].file_place(cell, line, column)
                                if real.get(path, path) in notebooks else None),
                            color=color, applicable=settings.can_fix, **(extra or {}))
    stream = io.StringIO()
    render(fmt, shown, stream, context)
    if statistics:  # machine formats stay valid: their statistics go to stderr
        target = stream if fmt in ("full", "concise") else sys.stderr
        counts = Counter((f.code, f.name) for f in findings)
        for (code, name), count in sorted(counts.items()):
            target.write(f"{count:>6}  {code}  {name}\n")
    try:
        output.write(stream.getvalue(), output_file)
    except output.OutputError as error:
        click.echo(f"bn-lint: error: {error}", err=True)
        if output_file:  # nothing lost: the report on standard output instead
            click.echo("bn-lint: the report follows on standard output instead", err=True)
            try:
                output.write(stream.getvalue(), None)
            except output.OutputError as again:
                click.echo(f"bn-lint: error: {again}", err=True)
        return False
    return True


@main.command(name="clean", short_help="Remove the result cache.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--cache-dir", type=click.Path(file_okay=False), help="The cache directory to remove.")
@_guarded
def clean_command(paths: tuple[str, ...], cache_dir: str | None) -> None:
    """Remove the result cache of the project of PATHS (default: the current directory), and every
    bn-lint cache inside the folders named."""
    from pathlib import Path

    from .cache import default_directory
    from .cache_clean import clean, clean_all

    try:
        if cache_dir:
            click.echo(f"bn-lint: {clean(Path(cache_dir))}", err=True)
            return
        directory = default_directory(build_settings(paths or (".",), None, (), (), (), (), (), None, None), paths)
        for line in clean_all(directory, paths or (".",)):
            click.echo(f"bn-lint: {line}", err=True)
    except (ConfigError, OSError) as error:
        _fail(str(error))


@main.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_rules(fmt: str) -> None:
    """List every rule: code, name, severity, fixable."""
    from .registry import all_rules

    rules = all_rules()
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity.value, "fixable": r.fixable,
             "fix_safety": r.fix_safety if r.fixable else None,
             "runtime_only": r.runtime_only, "summary": r.summary.strip()} for r in rules
        ], indent=2))
        return
    for r in rules:
        fix = "fix" if r.fixable else "   "
        where = " (runtime)" if r.runtime_only else ""
        click.echo(f"{r.code}  {r.name:<28} {r.severity.value:<8} {fix}  {r.summary.strip()}{where}")


@main.command(name="rule", short_help="Print a rule's documentation, by code or name.")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print the documentation of every rule.")
def show_rule(code: str | None, show_all: bool) -> None:
    """Print the documentation of one rule, by code (BN101) or name (missing-eval)."""
    from .registry import all_rules, rule_by_code

    if show_all:
        click.echo("\n".join(rule.docs_markdown() for rule in all_rules()))
        return
    if code is None:
        _fail("give a rule code or name (e.g. 'bn-lint rule BN101'), or --all")
    rule = rule_by_code(code) or next((r for r in all_rules() if r.name == code.lower()), None)
    if rule is None:
        _fail(f"unknown rule code or name '{code}' (see 'bn-lint rules')")
    click.echo(rule.docs_markdown())


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def _fail(message: str) -> None:
    click.echo(f"bn-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


from .trace.cli import trace_command  # noqa: E402  (imports neither torch nor the tracer)
main.add_command(trace_command)

if __name__ == "__main__":  # pragma: no cover
    main()


@main.command(short_help="Run the language server (LSP on stdin/stdout) for editors.")
def server() -> None:
    """Run the language server (LSP on stdin/stdout) for editors; needs ``pip install 'bn-lint[lsp]'``."""
    try:
        from .server import serve
    except ImportError as error:
        _fail(f"the language server needs pygls: pip install 'bn-lint[lsp]' ({error})")
    serve()
