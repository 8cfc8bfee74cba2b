"""An export function owns the mode of the model it exports (RULES.md, Evidence, as for evaluations).

``def export(model, path): torch.onnx.export(model, ...)``, or a method that traces or exports
``self`` (``torch.jit.trace(self, x)``, ``self.to_onnx(path, x)``), exports the model in whatever
mode it arrives in. When no code the project shows puts it in eval mode either, that is a finding:
the export's model comes in at its entry mode (nothing in the function sets it), nothing in this
file puts a model in eval, the function's callers here (if any) do not, and no file beside it
that calls the function does. The model must be one that may hold BatchNorm (the caller checks
its kind: a known BatchNorm model, or one of unknown class in a project that builds BatchNorm).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluations.owned import _SETS_EVAL, _called_elsewhere, _may_set_eval

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.modes import ModeAnalysis, Site


def unowned_export(analysis: "ModeAnalysis", site: "Site", node: cst.CSTNode, facts: frozenset) -> str | None:
    """Why the export at ``node`` exports a model no visible code puts in eval mode (the function exports
    ``self`` or a parameter, at its entry mode, and neither it, this file nor a caller beside it calls
    ``.eval()``), or None."""
    from bn_lint.semantic.modes import ENTRY
    from bn_lint.semantic.modes.state import _MIXED

    model = analysis.model
    # (some of its parts changed by a call the flow does not follow: the file sets no eval, so not to eval)
    if not facts or {f.mode for f in facts - {_MIXED}} != {ENTRY}:
        return None
    func = analysis.enclosing_function(node)
    if func is None or analysis.pytest_test(func) or _SETS_EVAL.search(model.source):
        return None  # (a test's model comes from a fixture; a file that sets eval somewhere manages modes)
    root, _, rest = site.key.partition(".")
    name = func.name.value
    scope = model.scopes.get(func)
    if scope is None:
        return None
    if root == "self" and not rest:
        info = model.enclosing_class(scope.parent) if scope.parent is not None else None
        if info is None or info.methods.get(name) is not func:
            return None
        if analysis.method_calls.get(func):
            return None  # (a method the class's own code calls: the path analysis followed its callers)
        callers = f"`{name}()` has no caller here"
    elif not rest and root in scope.params and model.functions.get(name) is func:
        passed = analysis.call_args.get(f"{name}.{root}", [])
        if any(_may_set_eval(arg_key, state) for arg_key, state, _caller in passed):
            return None
        callers = f"no caller of `{name}()` in this file puts it in eval mode" if passed else f"`{name}()` has no caller here"
    else:
        return None
    if _called_elsewhere(model, name):
        return None
    return f"`{name}()` exports `{site.key}` in the mode it is given and never calls `{site.key}.eval()`; {callers}"
