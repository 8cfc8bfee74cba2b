"""pytest plugin (entry point ``pytest11``): ``--bn-trace`` traces every test, the ``bn_trace``
fixture traces one; a test whose run produced tracer findings fails with the report.

Importing this module does not import torch; without torch the option is refused and the
fixture skips its test.
"""
from __future__ import annotations

import io

import pytest

_KEY = "_bn_lint_tracer"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("bn-lint")
    group.addoption("--bn-trace", action="store_true", default=False,
                    help="Trace BatchNorm calls in every test; fail tests with findings.")
    group.addoption("--bn-trace-min-batch-size", type=int, default=8, metavar="N",
                    help="Fewest values per channel in training before BN301 (default 8).")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "bn_trace_ignore: do not fail this test for bn-lint trace findings")
    if config.getoption("--bn-trace"):
        try:
            import torch  # noqa: F401
        except ImportError as error:
            raise pytest.UsageError(f"--bn-trace needs torch (pip install 'bn-lint[trace]'): {error}") from None


def _new_tracer(config):
    from bn_lint.trace.core import Tracer

    return Tracer(min_batch_size=config.getoption("--bn-trace-min-batch-size"), gather=False)


@pytest.fixture
def bn_trace(request):
    """An active tracer for this test; the test fails if its run produced findings.

    ``bn_trace.finish().findings`` gives the findings so far."""
    pytest.importorskip("torch")
    tracer = _new_tracer(request.config)
    setattr(request.node, _KEY, tracer)
    tracer.start()
    try:
        yield tracer
    finally:
        tracer.stop()


def _begin(item):
    """The tracer for this test: the fixture's, or a new one under ``--bn-trace``; (tracer, own)."""
    tracer = getattr(item, _KEY, None)
    if tracer is None and item.config.getoption("--bn-trace"):
        own = _new_tracer(item.config).start()
        return own, own
    return tracer, None


def _end(item, tracer, own) -> str | None:
    """Stop (or finish) the tracer; the failure message when the run produced findings."""
    if tracer is None:
        return None
    report = own.stop() if own is not None else tracer.finish()
    if not report or item.get_closest_marker("bn_trace_ignore"):
        return None
    stream = io.StringIO()
    report.render(stream, "concise")
    return f"bn-lint trace found BatchNorm misuse:\n{stream.getvalue()}"


try:  # new-style hook wrappers: pluggy >= 1.1 (pytest >= 8 needs it)
    _wrapper = pytest.hookimpl(wrapper=True)
except TypeError:  # pragma: no cover - older pluggy: an old-style wrapper, so the plugin still loads
    _wrapper = None

if _wrapper is not None:
    @_wrapper
    def pytest_runtest_call(item):
        tracer, own = _begin(item)
        try:
            result = yield
        finally:
            message = _end(item, tracer, own)
        if message:
            pytest.fail(message, pytrace=False)
        return result
else:  # pragma: no cover
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        tracer, own = _begin(item)
        outcome = yield
        message = _end(item, tracer, own)
        if message and outcome.excinfo is None:
            pytest.fail(message, pytrace=False)
