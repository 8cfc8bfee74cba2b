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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    tracer = getattr(item, _KEY, None)
    own = None
    if tracer is None and item.config.getoption("--bn-trace"):
        tracer = own = _new_tracer(item.config).start()
    try:
        result = yield
    finally:
        report = own.stop() if own is not None else (tracer.finish() if tracer is not None else None)
    if report and not item.get_closest_marker("bn_trace_ignore"):
        stream = io.StringIO()
        report.render(stream, "concise")
        pytest.fail(f"bn-lint trace found BatchNorm misuse:\n{stream.getvalue()}", pytrace=False)
    return result
