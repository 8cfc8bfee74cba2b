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
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing (exit 1 when there is a diff).")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or that would be (with --diff).")
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
    paths = paths or (".",)
    try:
        settings = build_settings(paths, config, select, ignore, extend_select, exclude, extend_exclude, min_batch_size, fmt)
    except ConfigError as error:
        _fail(str(error))
    if show_settings:
        from .settings_view import describe

        click.echo(describe(paths, config, settings))
        sys.exit(EXIT_CLEAN)
    if fix and not diff and "-" in paths:
        _fail("--fix cannot write to standard input; use --diff")
    from .discovery import discover
    from .runner import check_files

    results = []
    file_paths = [p for p in paths if p != "-"]
    discovered = discover(file_paths, settings)
    for missing in discovered.missing:
        click.echo(f"bn-lint: error: {missing}: no such file or directory", err=True)
    if show_files:
        for path in discovered.files:
            click.echo(path)
        sys.exit(EXIT_ERROR if discovered.missing else EXIT_CLEAN)
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
    notebooks = {r.path: r.notebook for r in results if r.notebook is not None}
    if add_noqa:
        from .adoption import add_noqa as write_noqa

        done = write_noqa(results, findings)
        for error in [*errors, *done.errors]:
            click.echo(f"bn-lint: {error}", err=True)
        click.echo(f"Added {_plural(done.added, 'noqa directive')} to {_plural(done.files, 'file')}.", err=True)
        sys.exit(EXIT_ERROR if errors or done.errors or discovered.missing else EXIT_CLEAN)
    if baseline:
        findings = _apply_baseline(baseline, findings, sources, notebooks, settings, quiet)
    _emit(settings.format, findings, sources, notebooks, len(results), statistics, output_file, color)
    for error in errors:
        click.echo(f"bn-lint: {error}", err=True)
    if not quiet and settings.format in ("full", "concise"):
        fixable = sum(1 for f in findings if f.fix)
        flagged = len({f.path for f in findings})
        summary = (
            f"Found {_plural(len(findings), 'finding')} in {_plural(flagged, 'file')}"
            f" ({_plural(len(results), 'file')} checked)."
        )
        if fixable:
            summary += f" {fixable} fixable with --fix."
        if not findings:
            summary = f"All checks passed ({_plural(len(results), 'file')} checked)."
        click.echo(summary, err=True)
    if errors or discovered.missing:
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
    from .source import UnreadableSource, read_source, split_lines

    cache: dict[str, list[str]] = {}

    def text_of(finding) -> str | None:
        if finding.cell and finding.path in notebooks:
            lines = notebooks[finding.path].cell_lines(finding.cell)
        else:
            if finding.path not in cache:
                source = sources.get(finding.path)
                try:
                    source = source or read_source(finding.path)
                    cache[finding.path] = split_lines(source.text)
                except UnreadableSource:
                    cache[finding.path] = []
            lines = cache[finding.path]
        return lines[finding.line - 1] if 0 < finding.line <= len(lines) else None

    return text_of


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


def _emit(fmt, findings, sources, notebooks, files_checked, statistics, output_file, color="auto") -> None:
    from .report import ReportContext, render
    from .source import split_lines

    cache: dict[str, list[str]] = {}

    def cell_line_of(path: str, cell: int, line: int) -> str | None:
        lines = notebooks[path].cell_lines(cell) if path in notebooks else []
        return lines[line - 1] if 0 < line <= len(lines) else None

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

    context = ReportContext(files_checked=files_checked, line_of=line_of, cell_line_of=cell_line_of, color=color)
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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _fail(message: str) -> None:
    click.echo(f"bn-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


from .trace.cli import trace_command  # noqa: E402  (imports neither torch nor the tracer)
main.add_command(trace_command)

if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
def server() -> None:
    """Run the language server (LSP on stdin/stdout) for editors; needs ``pip install 'bn-lint[lsp]'``."""
    try:
        from .server import serve
    except ImportError as error:
        _fail(f"the language server needs pygls: pip install 'bn-lint[lsp]' ({error})")
    serve()
