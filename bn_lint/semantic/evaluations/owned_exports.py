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

import os
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluations.owned import _SETS_EVAL, _may_set_eval
from bn_lint.semantic.project.callers import called_elsewhere, caller_model, calling_files

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel
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
    if func is None or analysis.evaluation.pytest_test(func) or _SETS_EVAL.search(model.source):
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
    if called_elsewhere(model, name):
        # (that caller's check follows the model it passes; the export it reaches is reported here)
        passed = _passed_in_training_mode(model, name, root) if root != "self" else None
        if passed is None:
            return None
        callers = passed
    return f"`{name}()` exports `{site.key}` in the mode it is given and never calls `{site.key}.eval()`; {callers}"


def _passed_in_training_mode(model: "FileModel", name: str, param: str) -> str | None:
    """How a caller of ``name`` in a file beside this one gives its parameter ``param`` a BatchNorm model the
    code shows in training mode (built, or trained, and not put in eval before the call), or None."""
    from bn_lint.semantic.modes import ModeAnalysis, describe
    from bn_lint.semantic.nn_modules.bearing import ModelKind

    here = os.path.abspath(model.path)
    for other in dict.fromkeys(calling_files(model, name)):
        caller = caller_model(model, other) if model.project is not None else None
        if caller is None or caller is model:
            continue
        analysis = caller.analysis(ModeAnalysis).run()
        for (call, given), helper in list(analysis.helper_exports.items()):
            if given != param or helper.summary.name != name or os.path.abspath(helper.summary.path or "") != here:
                continue
            facts = analysis.entry.resolved(helper.site)
            if analysis.kinds.shown_train(facts) and analysis.kinds.kind(helper.site.key, facts, helper.site.scope) is ModelKind.BN:
                shown = frozenset(f for f in facts if f.kind is ModelKind.BN) or facts  # (its BatchNorm paths)
                return (f"{os.path.basename(other)} passes `{helper.site.key}` at line {analysis.line(call)} in training "
                        f"mode: {describe(analysis, shown)}")
    return None
