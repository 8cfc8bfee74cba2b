"""The one argument binder (``semantic.evaluators.call_binding``) that the mode, batch and chain analyses share."""
from __future__ import annotations

import inspect
import textwrap

import libcst as cst
import pytest
from hypothesis import example, given, strategies as st

from bn_lint.parsing import parse_module
from bn_lint.semantic.evaluators.call_binding import bind, bind_in, match_call, positional_names
from bn_lint.semantic.file.model import FileModel


def _model(code: str) -> FileModel:
    text = textwrap.dedent(code)
    return FileModel("x.py", text, parse_module(text))


def _call(model: FileModel, name: str) -> tuple[cst.Call, object]:
    site = next(s for s in model.calls if isinstance(s.node.func, cst.Name) and s.node.func.value == name)
    return site.node, site.scope


def _given(model: FileModel, bound) -> dict[str, str]:
    return {param: model.code(value) for param, value in bound.values.items()}


PARAMS = ("model", "loader", "device")


@pytest.mark.parametrize("call, expected, complete", [
    ("run(net, val)", {"model": "net", "loader": "val"}, True),
    ("run(net, device='cpu', loader=val)", {"model": "net", "loader": "val", "device": "'cpu'"}, True),
    ("run(*[net, val])", {"model": "net", "loader": "val"}, True),  # a list display spreads its items
    ("run(net, *rest, device=dev)", {"model": "net", "device": "dev"}, False),  # after *rest: keywords only
    ("run(*rest, net)", {}, False),  # a positional after an unknown *: its place is not known
    ("run(net, **options)", {"model": "net"}, False),  # an unknown bundle
])
def test_positional_keyword_and_starred_arguments(call, expected, complete):
    model = _model(f"{call}\n")
    bound = bind(_call(model, "run")[0], PARAMS)
    assert _given(model, bound) == expected
    assert bound.complete is complete
    assert (bound.known() is None) is not complete


def test_a_keyword_bundle_bound_once_is_opened_with_the_scope_it_is_written_in():
    model = _model("""
        LOADER_ARGS = dict(batch_size=1, drop_last=False)

        def build(dataset):
            return DataLoader(dataset, **LOADER_ARGS)
    """)
    call, scope = _call(model, "DataLoader")
    bound = bind(call, ("dataset", "batch_size", "shuffle"), model, scope)
    assert bound.complete
    assert _given(model, bound) == {"dataset": "dataset", "batch_size": "1", "drop_last": "False"}
    assert bound.scope_of("batch_size", scope) is model.scopes[model.module]  # the module, where it is written
    assert bound.scope_of("dataset", scope) is scope
    assert bind_in(call, ("dataset",), scope, model)["drop_last"][1] is model.scopes[model.module]
    # without the file's model the bundle cannot be read: the binding says so
    assert not bind(call, ("dataset", "batch_size"), None, scope).complete


def test_a_bundle_that_is_changed_stays_unknown():
    model = _model("""
        args = {"batch_size": 1}
        args["batch_size"] = 64
        loader = DataLoader(ds, **args)
    """)
    call, scope = _call(model, "DataLoader")
    bound = bind(call, ("dataset", "batch_size"), model, scope)
    assert not bound.complete and "batch_size" not in bound


def test_positional_names_skip_self_and_leave_out_keyword_only_parameters():
    model = _model("""
        class Trainer:
            def fit(self, model, /, loader, *, epochs=1):
                pass
    """)
    fit = model.classes["Trainer"].methods["fit"]
    assert positional_names(fit) == ("self", "model", "loader")
    assert positional_names(fit, 1) == ("model", "loader")


@pytest.mark.parametrize("code", [
    # a nested helper called by name in its function (torch_geometric's ibmb_loader: `ppr_power_method`)
    """
    def outer(adj):
        def power(adj, num_iter):
            for i in range(num_iter):
                adj = adj @ adj
            return adj
        return power(adj, 50)
    """,
])
def test_a_number_given_to_a_helper_without_a_module_level_name(code):
    """The calls of a nested helper give their number (no internal error naming them: issue R4)."""
    from bn_lint.semantic.batching.facts import Size
    from bn_lint.semantic.batching.given_numbers import given_number

    model = _model(code)
    site = next(s for s in model.calls if isinstance(s.node.func, cst.Name) and s.node.func.value == "range")
    param = site.node.args[0].value

    def number(expr, scope):
        return Size(int(expr.value), "a literal") if isinstance(expr, cst.Integer) else None

    found = given_number(model, param, site.scope, number)
    assert found is not None and found.value == 50
    assert "power" in found.source


_SIGNATURES = [
    "def f(a, b, c=3): pass",
    "def f(a, /, b, *, c, d=4): pass",
    "def f(a, *args, k=1, **kwargs): pass",
    "def f(self, x, y=None): pass",
    "def f(*args, **kwargs): pass",
    "def f(a, /, b, **kwargs): pass",
]


@pytest.mark.parametrize("signature", _SIGNATURES)
@given(args=st.lists(st.integers(0, 9), max_size=4),
       kwargs=st.dictionaries(st.sampled_from(["a", "b", "c", "d", "k", "x", "y", "z"]), st.integers(0, 9),
                              max_size=4))
@example(args=[1], kwargs={"b": 2, "a": 5})  # (positional-only `a` by keyword: `**kwargs`'s)
@example(args=[1, 2, 3, 4], kwargs={"z": 0})
def test_arguments_match_parameters_as_python_binds_them(signature, args, kwargs):
    """Every call Python accepts binds each parameter the argument Python gives it, the rest going to
    ``*args`` / ``**kwargs`` (the one matcher under ``bind`` and the chain interpreter's calls)."""
    namespace: dict = {}
    exec(signature, namespace)
    try:
        expected = inspect.signature(namespace["f"]).bind(*args, **kwargs).arguments
    except TypeError:
        return  # (a call Python refuses)
    function = cst.parse_module(signature).body[0]
    matched = match_call(function, 0, args, kwargs)
    for param in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params):
        name = param.name.value
        assert matched.values.get(name, "default") == expected.get(name, "default")
    assert tuple(matched.rest_args) == tuple(expected.get("args", ()))
    assert matched.rest_kwargs == dict(expected.get("kwargs", {}))
