"""The ``bn-lint`` command line."""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click

from . import __version__
from .config import FORMATS, ConfigError, Settings, find_config, load_config, validate_codes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bn-lint")
def main() -> None:
    """Find BatchNorm misuse in PyTorch code."""


def build_settings(
    paths: tuple[str, ...],
    config: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    min_batch_size: int | None,
    fmt: str | None,
    fixable: tuple[str, ...] = (),
    unfixable: tuple[str, ...] = (),
    unsafe_fixes: bool | None = None,
) -> Settings:
    """Settings from the config file, overridden by the command line."""
    if config:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"{config}: configuration file not found")
        settings = load_config(path, explicit=True)
    else:
        start = Path(paths[0]) if paths and paths[0] != "-" else Path.cwd()
        if not start.exists():
            start = Path.cwd()
        settings = load_config(find_config(start))
    changes: dict = {}
    if select:
        changes["select"] = validate_codes(list(_split(select)), "--select")
    if ignore:
        changes["ignore"] = settings.ignore + validate_codes(list(_split(ignore)), "--ignore")
    if extend_select:
        changes["extend_select"] = settings.extend_select + validate_codes(list(_split(extend_select)), "--extend-select")
    if exclude:
        changes["exclude"] = _split(exclude)
    if extend_exclude:
        changes["extend_exclude"] = settings.extend_exclude + _split(extend_exclude)
    if min_batch_size is not None:
        changes["min_batch_size"] = min_batch_size
    if fmt:
        changes["format"] = fmt
    if fixable:
        changes["fixable"] = validate_codes(list(_split(fixable)), "--fixable")
    if unfixable:
        changes["unfixable"] = settings.unfixable + validate_codes(list(_split(unfixable)), "--unfixable")
    if unsafe_fixes is not None:
        changes["unsafe_fixes"] = unsafe_fixes
    return replace(settings, **changes)


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
@click.option("--stdin-filename", help="The path to report for source read from '-'.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what is left.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None,
              help="Also apply (and mark [*]) the fixes that change behaviour (BN204, BN205, BN302).")
@click.option("--fixable", multiple=True, help="Codes or prefixes whose fixes may be applied (default: ALL).")
@click.option("--unfixable", multiple=True, help="Codes or prefixes whose fixes are never applied.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing (exit 1 when there is a diff).")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or that would be (with --diff).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core; 1: no pool).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache directory (default: .bn_lint_cache/ in the project root).")
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
) -> None:
    """Check PATHS (default: the current directory) for BatchNorm misuse."""
    paths = paths or (".",)
    try:
        settings = build_settings(paths, config, select, ignore, extend_select, exclude, extend_exclude, min_batch_size, fmt,
                                  fixable, unfixable, unsafe_fixes)
    except ConfigError as error:
        _fail(str(error))
    if fix and not diff and "-" in paths:
        _fail("--fix cannot write to standard input; use --diff")
    from .discovery import discover
    from .runner import check_files

    results = []
    file_paths = [p for p in paths if p != "-"]
    discovered = discover(file_paths, settings)
    for missing in discovered.missing:
        click.echo(f"bn-lint: error: {missing}: no such file or directory", err=True)
    if "-" in paths:
        from .engine import Checker

        data = sys.stdin.buffer.read()
        results.append(Checker(settings).check_bytes(stdin_filename or "-", data))
    cache = None
    if not no_cache:
        from .cache import Cache, default_directory

        cache = Cache(cache_dir or default_directory(settings), settings)
    results.extend(check_files(discovered.files, settings, jobs, cache))

    if fix or diff:
        from .fixer import fix_results

        stdin_path = (stdin_filename or "-") if "-" in paths else None
        from .engine import Checker

        fixed = fix_results(Checker(settings), results, write=not diff, stdin_path=stdin_path)
        results = fixed.results
        _report_fixes(fixed, diff, show_fixes, quiet)
        if diff:
            errors = [e for r in results for e in r.errors]
            for error in errors:
                click.echo(f"bn-lint: {error}", err=True)
            if errors or discovered.missing:
                sys.exit(EXIT_ERROR)
            sys.exit(EXIT_FINDINGS if fixed.diff() else EXIT_CLEAN)

    # (a finding in a helper's file can come from two checked files that call it: listed once)
    unique = {(f.sort_key, f.message): f for r in results for f in r.findings}
    findings = sorted(unique.values(), key=lambda f: f.sort_key)
    errors = [e for r in results for e in r.errors]
    sources = {r.path: r.source for r in results if r.source is not None}
    _emit(settings, findings, sources, len(results), statistics, output_file)
    for error in errors:
        click.echo(f"bn-lint: {error}", err=True)
    if not quiet and settings.format in ("full", "concise"):
        can_fix = sum(1 for f in findings if settings.can_fix(f))
        hidden = sum(1 for f in findings if f.fix and not f.fix.safe and not settings.unsafe_fixes)
        flagged = len({f.path for f in findings})
        summary = (
            f"Found {_plural(len(findings), 'finding')} in {_plural(flagged, 'file')}"
            f" ({_plural(len(results), 'file')} checked)."
        )
        if can_fix:
            summary += f" {can_fix} fixable with --fix."
        if hidden:
            summary += f" ({_plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with --unsafe-fixes.)"
        if not findings:
            summary = f"All checks passed ({_plural(len(results), 'file')} checked)."
        click.echo(summary, err=True)
    if errors or discovered.missing:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _report_fixes(fixed, diff: bool, show_fixes: bool, quiet: bool) -> None:
    """--diff: the diff on stdout. --show-fixes: what was (or would be) fixed, on stderr."""
    if diff:
        sys.stdout.write(fixed.diff())
    done = [(f, outcome.path) for outcome in fixed.files if outcome.written or diff for f in outcome.applied]
    if show_fixes:
        verb = "Would fix" if diff else "Fixed"
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
        verb = "Would fix" if diff else "Fixed"
        click.echo(f"{verb} {len(done)} finding{'s' if len(done) != 1 else ''} in {files} file{'s' if files != 1 else ''}.", err=True)


def _emit(settings, findings, sources, files_checked, statistics, output_file) -> None:
    fmt = settings.format
    from .report import ReportContext, render
    from .source import split_lines

    cache: dict[str, list[str]] = {}

    def line_of(path: str, line: int) -> str | None:
        source = sources.get(path)
        if source is None:  # a finding in another project file than the one checked (BN101 in a helper)
            from .source import UnreadableSource, read_source

            try:
                source = sources[path] = read_source(path)
            except UnreadableSource:
                return None
        lines = cache.get(path)
        if lines is None:
            lines = cache[path] = split_lines(source.text)
        return lines[line - 1] if 0 < line <= len(lines) else None

    context = ReportContext(files_checked=files_checked, line_of=line_of, applicable=settings.can_fix)
    stream = open(output_file, "w", encoding="utf-8") if output_file else sys.stdout
    try:
        render(fmt, findings, stream, context)
        if statistics:
            counts = Counter((f.code, f.name) for f in findings)
            for (code, name), count in sorted(counts.items()):
                stream.write(f"{count:>6}  {code}  {name}\n")
    finally:
        if output_file:
            stream.close()


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


@main.command(name="rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Print the documentation of one rule (e.g. BN101)."""
    from .registry import rule_by_code

    rule = rule_by_code(code)
    if rule is None:
        _fail(f"unknown rule code '{code}' (see 'bn-lint rules')")
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
