"""pytest plugin (entry point ``pytest11``): ``--bn-trace`` traces every test, the ``bn_trace``
fixture traces one; a test whose run produced tracer findings fails with the report.

``[tool.bn-lint]`` of the project (select, ignore, min-batch-size) applies, as in ``bn-lint
trace``. ``@pytest.mark.bn_trace_ignore`` (all codes) or ``bn_trace_ignore("BN301", ...)`` keeps
findings from failing a test; so do ``bn_trace.expect("BN101")`` (the test then fails if no
BN101 was seen) and reading ``bn_trace.findings``. Importing this module does not import torch;
without torch the option is refused and the fixture skips its test.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

_KEY = "_bn_lint_tracer"
_SETTINGS = "_bn_lint_settings"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("bn-lint")
    group.addoption("--bn-trace", action="store_true", default=False,
                    help="Trace BatchNorm calls in every test; fail tests with findings.")
    group.addoption("--bn-trace-min-batch-size", type=int, default=None, metavar="N",
                    help="Fewest values per channel in training before BN301 (default: [tool.bn-lint] "
                         "min-batch-size, else 8).")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "bn_trace_ignore(*codes): do not fail this test for these bn-lint trace "
                                       "findings (codes or prefixes; none: all)")
    if config.getoption("--bn-trace"):
        try:
            import torch  # noqa: F401
        except ImportError as error:
            raise pytest.UsageError(f"--bn-trace needs torch (pip install 'bn-lint[trace]'): {error}") from None
        _settings(config)  # a broken [tool.bn-lint] is a usage error at once, not in every test


def _settings(config):
    """``[tool.bn-lint]`` of the nearest pyproject.toml above the rootdir (read once per session)."""
    settings = getattr(config, _SETTINGS, None)
    if settings is None:
        from bn_lint.config import ConfigError, find_config, load_config

        try:
            settings = load_config(find_config(Path(str(config.rootpath))))
        except ConfigError as error:
            raise pytest.UsageError(f"bn-lint: {error}") from None
        setattr(config, _SETTINGS, settings)
    return settings


def _new_tracer(config):
    from bn_lint.trace.core import Tracer

    size = config.getoption("--bn-trace-min-batch-size")
    return Tracer(min_batch_size=size if size is not None else _settings(config).min_batch_size, gather=False,
                  stats_every=0)


class TraceHandle:
    """What the ``bn_trace`` fixture gives: the active tracer, plus ``expect`` and ``findings``."""

    def __init__(self, tracer, config) -> None:
        self.tracer = tracer
        self._config = config
        self.expected: set[str] = set()
        self._read: set[tuple] = set()

    def expect(self, *codes: str) -> None:
        """These codes are what the test is about: they do not fail it, and it fails if one is never seen."""
        self.expected.update(code.upper() for code in codes)

    @property
    def findings(self) -> list:
        """The findings so far (selected by ``[tool.bn-lint]``); reading them means the test handles them."""
        found = [f for f in self.tracer.finish().findings if _settings(self._config).is_selected(f.code)]
        self._read.update(_key(f) for f in found)
        return found

    def codes(self) -> list[str]:
        return sorted(f.code for f in self.findings)

    def __getattr__(self, name: str):  # finish(), report, ... of the tracer
        return getattr(self.tracer, name)


def _key(finding) -> tuple:
    return (finding.code, finding.path, finding.line)


@pytest.fixture
def bn_trace(request):
    """An active tracer for this test; the test fails if its run produced findings it did not
    expect (``bn_trace.expect("BN101")``) or read (``bn_trace.findings``)."""
    pytest.importorskip("torch")
    handle = TraceHandle(_new_tracer(request.config), request.config)
    setattr(request.node, _KEY, handle)
    handle.tracer.start()
    try:
        yield handle
    finally:
        handle.tracer.stop()


def _begin(item):
    """(tracer, handle, own): the fixture's tracer, or a new one under ``--bn-trace``."""
    handle = getattr(item, _KEY, None)
    if handle is not None:
        return handle.tracer, handle, None
    if item.config.getoption("--bn-trace"):
        own = _new_tracer(item.config).start()
        return own, None, own
    return None, None, None


def _end(item, tracer, handle, own) -> str | None:
    """Stop (or finish) the tracer; the failure message when the run produced unhandled findings."""
    if tracer is None:
        return None
    report = own.stop() if own is not None else tracer.finish()
    settings = _settings(item.config)
    marker = item.get_closest_marker("bn_trace_ignore")
    if marker is not None and not marker.args:
        return None
    ignored = tuple(str(code).upper() for code in (marker.args if marker is not None else ()))
    expected = handle.expected if handle is not None else set()
    read = handle._read if handle is not None else set()
    findings = [f for f in report.findings if settings.is_selected(f.code)]
    failing = [f for f in findings if not f.code.startswith(ignored or ("\0",)) and f.code not in expected
               and _key(f) not in read]
    missing = sorted(expected - {f.code for f in findings})
    lines = []
    if failing:
        stream = io.StringIO()
        from bn_lint.report import ReportContext, render

        render("concise", failing, stream, ReportContext(files_checked=len({f.path for f in failing})))
        lines.append(f"bn-lint trace found BatchNorm misuse:\n{stream.getvalue()}")
    if missing:
        lines.append(f"bn-lint trace: expected {', '.join(missing)}, not seen")
    return "\n".join(lines) or None


try:  # new-style hook wrappers: pluggy >= 1.1 (pytest >= 8 needs it)
    _wrapper = pytest.hookimpl(wrapper=True)
except TypeError:  # pragma: no cover - older pluggy: an old-style wrapper, so the plugin still loads
    _wrapper = None

if _wrapper is not None:
    @_wrapper
    def pytest_runtest_call(item):
        tracer, handle, own = _begin(item)
        try:
            result = yield
        finally:
            message = _end(item, tracer, handle, own)
        if message:
            pytest.fail(message, pytrace=False)
        return result
else:  # pragma: no cover
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        tracer, handle, own = _begin(item)
        outcome = yield
        message = _end(item, tracer, handle, own)
        if message and outcome.excinfo is None:
            pytest.fail(message, pytrace=False)
