"""Property-based tests: generated programs never crash the checker or the fixer; fixes re-parse and are idempotent."""
from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.fixer import fix_source
from bn_lint.source import SourceText

CHECKER = Checker(Settings(select=("BN",)))
PROFILE = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _assert_robust(code: str) -> None:
    source = SourceText(code, "utf-8")
    result = CHECKER.check_source("generated.py", source)
    assert not result.errors, result.errors
    fixed = fix_source(CHECKER, "generated.py", source, result)
    assert not fixed.result.errors, fixed.result.errors
    if fixed.changed:
        ast.parse(fixed.text)  # every applied fix leaves valid Python
        again = fix_source(CHECKER, "generated.py", SourceText(fixed.text, "utf-8"))
        assert not again.changed, (fixed.text, again.text)  # fixing is idempotent


# --- programs built from the fragments the rules look at, so fixes actually fire
_MODULE = st.sampled_from(["nn", "torch.nn"])
_KIND = st.sampled_from(["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm2d", "Conv2d"])
_NUMBER = st.one_of(st.integers(-3, 512).map(str), st.sampled_from(["0.9", "0.99", "0.999", "0.1", "1e-5", "0.001", "x", "None"]))


@st.composite
def _layer(draw) -> str:
    args = draw(st.lists(_NUMBER, max_size=3))
    keywords = draw(st.lists(st.tuples(st.sampled_from(["momentum", "eps", "affine", "num_features"]), _NUMBER),
                             max_size=2, unique_by=lambda kv: kv[0]))
    parts = args + [f"{k}={v}" for k, v in keywords]
    return f"{draw(_MODULE)}.{draw(_KIND)}({', '.join(parts)})"


_STATEMENT = st.one_of(
    _layer().map(lambda layer: f"bn = {layer}"),
    _layer().map(lambda layer: f"layers.append({layer})"),
    st.sampled_from([
        "model.eval", "model.train", "net.module.eval", "model.training = False", "model.training = True",
        "self.bn.eval", "model.eval()", "x = model(x)", "pass", "for x, y in loader:\n    model.eval\n    out = model(x)",
        "with torch.no_grad():\n    model.eval\n    y = model(x)",
        "loader = DataLoader(ds, batch_size=1, shuffle=True)", "loader = DataLoader(ds, batch_size=64, drop_last=False)",
    ]),
)


@st.composite
def _program(draw) -> str:
    body = draw(st.lists(_STATEMENT, min_size=1, max_size=8))
    wrap = draw(st.sampled_from(["module", "function", "class"]))
    header = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
    if wrap == "module":
        return header + "\n".join(body) + "\n"
    indented = "\n".join("    " + line for stmt in body for line in stmt.split("\n"))
    if wrap == "function":
        return header + "def run(model, loader, x):\n" + indented + "\n"
    inner = "\n".join("        " + line for stmt in body for line in stmt.split("\n"))
    return header + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n" + inner + "\n"


@settings(PROFILE, max_examples=300)
@given(_program())
def test_fragment_programs(code):
    _assert_robust(code)


hypothesmith = pytest.importorskip("hypothesmith", reason="hypothesmith is not installed")


@settings(PROFILE, max_examples=60)
@given(hypothesmith.from_grammar())
def test_grammar_programs(code):
    _assert_robust(code)


@settings(PROFILE, max_examples=40)
@given(hypothesmith.from_node())
def test_node_programs(code):
    _assert_robust(code)


@settings(PROFILE, max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab \"'\\\n\r\t{}") + ["é", "\x00"]), max_size=12),
       st.sampled_from(["'", '"', "'''", '"""']), st.sampled_from(["", "r", "b", "rb", "u"]))
def test_literal_string_matches_libcst(body, quote, prefix):
    """The fast path for plain string literals gives what libcst's ``evaluated_value`` gives."""
    import libcst as cst

    from bn_lint.semantic.syntax.constants import literal_string

    code = f"{prefix}{quote}{body}{quote}"
    try:
        ast.parse(code)
        node = cst.parse_expression(code)
    except Exception:
        return  # not a valid literal
    if not isinstance(node, cst.SimpleString):
        return  # (a body with the quote in it: `'' ''` is two literals, implicitly concatenated)
    assert literal_string(node) == node.evaluated_value


# --- mutations of real files (issue 31): every mutant gives findings or a BN900/BN901, never an internal error
from tests.mutations import MUTATIONS, mutate  # noqa: E402

_REAL = sorted(p for p in (__import__("pathlib").Path(__file__).parent.parent / "fixtures").rglob("*.py")
               if 300 < p.stat().st_size < 6000)


def _assert_no_crash(code: str) -> None:
    source = SourceText(code, "utf-8")
    result = CHECKER.check_source("mutant.py", source)
    assert not result.errors, (result.errors, code)
    try:
        compile(code, "mutant.py", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # (BN900: nothing to fix)
    fixed = fix_source(CHECKER, "mutant.py", source, result)
    assert not fixed.result.errors, fixed.result.errors
    if fixed.changed:
        ast.parse(fixed.text)


@settings(PROFILE, max_examples=120)
@given(st.sampled_from(_REAL), st.randoms(use_true_random=False), st.integers(1, 3))
def test_mutated_real_files(path, rng, steps):
    code, _ = mutate(path.read_text(encoding="utf-8"), rng, steps)
    _assert_no_crash(code)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_of_real_files(name):
    import random

    rng = random.Random(name)
    for path in _REAL[:: max(1, len(_REAL) // 6)]:
        _assert_no_crash(MUTATIONS[name](path.read_text(encoding="utf-8"), rng))
