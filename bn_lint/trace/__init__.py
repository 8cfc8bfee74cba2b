"""The runtime tracer (``pip install bn-lint[trace]``): live BatchNorm checks.

``with bn_lint.trace() as report: ...`` traces every BatchNorm layer of the program;
``with bn_lint.trace(model) as report: ...`` only that model's. ``report.findings`` are the
same ``Finding`` objects as ``bn-lint check`` gives. Importing this package does not import
torch (the CLI and the pytest plugin load it cheaply); starting a trace does.
"""
from __future__ import annotations

import sys
import types

__all__ = ["trace", "Tracer", "TraceReport"]


def trace(model=None, *, min_batch_size: int = 8, functional: bool = False, name: str = "model", gather: bool = True,
          stats_every: int = 10, live: bool = False):
    """A tracer to use as a context manager: ``with trace(model) as report:``.

    ``live``: print each finding on stderr when first seen. See :class:`bn_lint.trace.core.Tracer`
    for the other arguments; ``report`` shows as a table in a notebook.
    """
    from .core import Tracer

    return Tracer(model, min_batch_size=min_batch_size, functional=functional, name=name, gather=gather,
                  stats_every=stats_every, on_finding=_print_live if live else None)


def _print_live(finding) -> None:
    print(f"bn-lint trace: {finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}",
          file=sys.stderr, flush=True)


def __getattr__(name: str):
    if name == "Tracer":
        from .core import Tracer

        return Tracer
    if name == "TraceReport":
        from .report import TraceReport

        return TraceReport
    raise AttributeError(name)


class _CallableModule(types.ModuleType):
    """Once imported, ``bn_lint.trace`` is this package; calling it calls :func:`trace`."""

    def __call__(self, *args, **kwargs):
        return trace(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
