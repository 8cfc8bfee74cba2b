"""``bn-lint trace SCRIPT ARGS...``: run a Python script under the tracer, report at exit.

Importing this module does not import torch; running the command does.
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback

import click

FORMATS = ("full", "concise", "json", "sarif", "github", "junit")


@click.command(name="trace", short_help="Run SCRIPT under the runtime tracer and report.", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                               "help_option_names": ["-h", "--help"]})
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: full).")
@click.option("-o", "--output", "--output-file", "output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report here instead of stdout.")
@click.option("--min-batch-size", type=click.IntRange(min=1), help="Fewest values per channel in training (BN301/BN304).")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when there are findings and the script succeeded.")
@click.option("--functional", is_flag=True, help="Also check direct torch.nn.functional.batch_norm calls (slower).")
@click.option("--select", multiple=True, help="Rule codes or prefixes to report (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes not to report.")
@click.option("--config", type=click.Path(dir_okay=False), help="Read settings from this file.")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def trace_command(fmt, output, min_batch_size, fail_on_findings, functional, select, ignore, config, script, args):
    """Run SCRIPT (with ARGS) as __main__ and report the BatchNorm misuse seen at run time."""
    from ..cli import EXIT_ERROR, build_settings
    from ..config import ConfigError

    try:
        settings = build_settings((script,), config, select, ignore, (), (), (), min_batch_size, fmt)
    except ConfigError as error:
        click.echo(f"bn-lint: error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    try:
        from .core import Tracer
    except ImportError as error:
        click.echo(f"bn-lint: error: 'bn-lint trace' needs torch (pip install 'bn-lint[trace]'): {error}", err=True)
        sys.exit(EXIT_ERROR)

    status = run_script(script, args, tracer := Tracer(min_batch_size=settings.min_batch_size, functional=functional))
    report = tracer.report.select(settings.is_selected)
    if tracer.merged_rank in (None, 0):
        stream = open(output, "w", encoding="utf-8") if output else sys.stdout
        try:
            sys.stdout.flush()
            report.render(stream, settings.format)
        finally:
            if output:
                stream.close()
        for warning in report.warnings:
            click.echo(f"bn-lint trace: warning: {warning}", err=True)
        if settings.format in ("full", "concise"):
            click.echo(report.summary(), err=True)
    if report and fail_on_findings and status == 0:
        status = 1
    sys.exit(status)


def run_script(script: str, args, tracer) -> int:
    """Run ``script`` as ``__main__`` under ``tracer``; the script's exit status (its traceback printed)."""
    path = os.path.abspath(script)
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(path))
    status = 0
    tracer.start()
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except KeyboardInterrupt:
        status = 130
        _print_user_traceback()
    except BaseException:  # the script died: its traceback as Python would print it, then the report
        status = 1
        _print_user_traceback()
    finally:
        tracer.stop(gather=True)
        sys.argv = saved_argv
        if sys.path and sys.path[0] == os.path.dirname(path):
            del sys.path[0]
        elif saved_path0 is not None and saved_path0 not in sys.path:  # pragma: no cover
            sys.path.insert(0, saved_path0)
    return status


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_user_traceback() -> None:
    kind, error, tb = sys.exc_info()
    here = os.path.dirname(os.path.abspath(__file__))
    while tb is not None and (tb.tb_frame.f_code.co_filename.startswith(here)
                              or tb.tb_frame.f_code.co_filename.endswith("runpy.py")
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")):
        tb = tb.tb_next
    traceback.print_exception(kind, error, tb)
