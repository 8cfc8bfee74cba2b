"""``bn-lint trace [-m MODULE | SCRIPT] ARGS...``: run a Python program under the tracer.

Findings are printed as they are first seen (``--live``) and the report is written when the
program ends: normally, by ``sys.exit``, by an exception, or on SIGTERM/SIGINT. Importing this
module does not import torch; running the command does.
"""
from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import traceback

import click

FORMATS = ("full", "concise", "json", "sarif", "github", "junit")


@click.command(name="trace", short_help="Run SCRIPT under the runtime tracer and report.", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                               "help_option_names": ["-h", "--help"]})
@click.option("-m", "module", metavar="MODULE",
              help="Run a module as `python -m MODULE` does (then ARGS are its arguments).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: full).")
@click.option("-o", "--output", "--output-file", "output", type=click.Path(dir_okay=False),
              help="Write the report here instead of stdout.")
@click.option("--report", "html_path", type=click.Path(dir_okay=False), metavar="FILE.html",
              help="Also write a self-contained HTML page: findings, per-layer table, running-statistics plots.")
@click.option("--stats-out", "stats_path", type=click.Path(dir_okay=False), metavar="FILE.jsonl",
              help="Also write the sampled running statistics, one JSON object per line.")
@click.option("--stats-every", type=click.IntRange(min=0), default=10, show_default=True,
              help="Sample each layer's running statistics every N training calls (0: off); calls that are "
                   "findings and new smallest/largest batches are recorded whatever N.")
@click.option("--live/--no-live", default=None,
              help="Print each finding when first seen, on stderr (default: when stderr is a terminal).")
@click.option("--min-batch-size", type=click.IntRange(min=1),
              help="Fewest values per channel in training (BN301/BN304).")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when there are findings and the script succeeded.")
@click.option("--functional", is_flag=True, help="Also check direct torch.nn.functional.batch_norm calls (slower).")
@click.option("--select", multiple=True, help="Rule codes or prefixes to report (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes not to report.")
@click.option("--config", type=click.Path(dir_okay=False), help="Read settings from this file.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[SCRIPT] [ARGS]...")
def trace_command(module, fmt, output, html_path, stats_path, stats_every, live, min_batch_size, fail_on_findings,
                  functional, select, ignore, config, args):
    """Run SCRIPT (with ARGS), or `-m MODULE`, as __main__ and report the BatchNorm misuse seen at run time.

    Under torchrun: `torchrun --nproc-per-node 2 -m bn_lint trace train.py` (each rank traces
    itself; rank 0 prints the merged report).
    """
    from ..codes import EXIT_ERROR
    from ..resolve import build_settings
    from ..config import ConfigError

    def fail(message: str):
        click.echo(f"bn-lint: error: {message}", err=True)
        sys.exit(EXIT_ERROR)

    if module is None:
        if not args:
            fail("give a SCRIPT to run, or -m MODULE")
        script, args = args[0], args[1:]
        if not os.path.isfile(script):
            fail(f"{script}: no such file")
        target = ("path", script)
    else:
        target = ("module", module)
    try:
        settings = build_settings((target[1],) if module is None else (), config, select, ignore, (), (), (),
                                  min_batch_size, fmt)
    except ConfigError as error:
        fail(str(error))
    try:
        from .core import Tracer
    except ImportError as error:
        fail(f"'bn-lint trace' needs torch (pip install 'bn-lint[trace]'): {error}")
    if module is not None:
        import importlib.util

        sys.path.insert(0, os.getcwd())
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError) as error:
            found, why = None, f": {error}"
        else:
            why = ""
        del sys.path[0]
        if found is None:
            fail(f"-m {module}: no module named {module!r}{why}")

    if live is None:
        live = sys.stderr.isatty()

    def print_live(finding):
        if settings.is_selected(finding.code):
            click.echo(f"bn-lint trace: {finding.path}:{finding.line}:{finding.column}: {finding.code} "
                       f"{finding.message}", err=True)

    tracer = Tracer(min_batch_size=settings.min_batch_size, functional=functional, stats_every=stats_every,
                    on_finding=print_live if live else None)
    concluded = []

    def conclude(status: int, hard: bool = False) -> None:
        """Stop tracing and write the outputs, once. A hard exit (``os._exit``) merges the ranks' reports
        only when they were already exchanged: a collective there could wait for ranks still running."""
        if concluded:
            return
        concluded.append(status)
        tracer.stop(gather=status == 0 and (not hard or tracer._peers is not None))
        if tracer.merged_rank in (None, 0):
            write_outputs(tracer.report.select(settings.is_selected), settings.format, output, html_path, stats_path)

    status = run_target(target, args, tracer, conclude)
    conclude(status)
    report = tracer.report.select(settings.is_selected)
    if report and fail_on_findings and status == 0:
        status = 1
    sys.exit(status)


def write_outputs(report, fmt: str, output, html_path, stats_path) -> None:
    """The report (stdout or ``output``), the HTML page and the JSONL statistics; files atomically."""
    import io

    from ..atomic import replace

    stream = io.StringIO() if output else sys.stdout
    sys.stdout.flush()
    report.render(stream, fmt)
    for path, text in ((output, stream.getvalue() if output else None),
                       (html_path, _html(report) if html_path else None),
                       (stats_path, _jsonl(report) if stats_path else None)):
        if path:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                replace(path, text.encode("utf-8"), prepare=_readable)
            except OSError as error:
                click.echo(f"bn-lint: error: cannot write {path}: {error}", err=True)
    for warning in report.warnings:
        click.echo(f"bn-lint trace: warning: {warning}", err=True)
    if fmt in ("full", "concise"):
        click.echo(report.summary(), err=True)


def _readable(temp_path: str) -> None:
    """A new report file gets the usual permissions (0666 less the umask), not a temporary file's 0600."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temp_path, 0o666 & ~mask)


def _html(report) -> str:
    from .html import render_page

    return render_page(report, title="bn-lint trace: " + " ".join(sys.argv[1:] if sys.argv else []))


def _jsonl(report) -> str:
    from .stats import jsonl_lines

    lines = jsonl_lines(report)
    return "\n".join(lines) + ("\n" if lines else "")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the program unwinds and the report is written."""


_MAIN_PID = [0]


def _on_sigterm(signum, frame):
    if os.getpid() != _MAIN_PID[0]:  # a forked child (e.g. a DataLoader worker) inherited this handler
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise _Terminated()


def run_target(target: tuple[str, str], args, tracer, conclude=None) -> int:
    """Run a script path or a module as ``__main__`` under ``tracer``; the program's exit status (its
    traceback printed). SIGTERM ends the program like SIGINT does, with status 143; ``os._exit`` in
    this process first calls ``conclude(status, hard=True)``."""
    kind, name = target
    saved_argv = sys.argv
    path0 = os.path.dirname(os.path.abspath(name)) if kind == "path" else os.getcwd()
    sys.argv = [name, *args]
    sys.path.insert(0, path0)
    status = 0
    previous = None
    if threading.current_thread() is threading.main_thread():
        _MAIN_PID[0] = os.getpid()
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    real_exit, main_pid = os._exit, os.getpid()

    def hard_exit(code):
        if conclude is not None and os.getpid() == main_pid:
            try:
                conclude(code if isinstance(code, int) else 1, hard=True)
            except BaseException:  # the program asked to die now: it does
                pass
        real_exit(code)

    os._exit = hard_exit
    tracer.start()
    try:
        if kind == "path":
            runpy.run_path(os.path.abspath(name), run_name="__main__")
        else:
            runpy.run_module(name, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except _Terminated:
        status = 128 + signal.SIGTERM
        click.echo("bn-lint trace: terminated (SIGTERM); writing the report", err=True)
    except KeyboardInterrupt:
        status = 130
        _print_user_traceback()
    except BaseException:  # the script died: its traceback as Python would print it, then the report
        status = 1
        _print_user_traceback()
    finally:
        if os._exit is hard_exit:
            os._exit = real_exit
        if conclude is None:
            tracer.stop(gather=status == 0)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.argv = saved_argv
        if sys.path and sys.path[0] == path0:
            del sys.path[0]
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
