"""Framework entry points as knowledge: which methods a training framework calls, on which of their
parameters' modules, in which mode (RULES.md, Modes: what the code around a model shows).

Lightning puts the whole LightningModule in training mode before each training epoch and in eval
mode around validation, test and prediction (restoring training mode afterwards), and calls its
own hooks and its ``Callback``s' hooks inside those phases. One row per hook: the framework's base
(the class a hook's class derives from), the method, the parameter that holds the module, the mode.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.repository_search import files_mentioning
from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm
from bn_lint.semantic.syntax.walk import walk
from bn_lint.semantic.syntax.followed import entered

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel

TRAIN, EVAL = "train", "eval"


@dataclass(frozen=True)
class Hook:
    """``framework`` calls ``method`` of a subclass of ``base`` with the module as ``param`` in ``mode``."""

    framework: str  # the name a message gives it
    base: str  # "module": a LightningModule's own method (the module is ``self``); "callback": a Callback's
    method: str
    param: str  # the parameter holding the module, as the framework's signature names it
    mode: str
    repeats: bool = False  # run once per batch with no mode set between the runs: what one run leaves, the next finds


_LIGHTNING_TRAIN = ("on_train_batch_start", "on_train_batch_end", "on_train_epoch_start", "on_train_epoch_end")
_LIGHTNING_EVAL = ("on_validation_batch_start", "on_validation_batch_end", "on_validation_epoch_start",
                   "on_validation_epoch_end", "on_test_batch_start", "on_test_batch_end", "on_test_epoch_start",
                   "on_test_epoch_end", "on_predict_batch_start", "on_predict_batch_end", "on_predict_epoch_start",
                   "on_predict_epoch_end")

# Lightning before 2.0: the epoch-end hooks with the step outputs, run inside their phase
_LIGHTNING_1_EPOCH_ENDS = (("training_epoch_end", TRAIN), ("validation_epoch_end", EVAL), ("test_epoch_end", EVAL))

HOOKS: tuple[Hook, ...] = (
    # (Lightning sets training mode when an epoch starts and after a validation run, not before each batch)
    Hook("Lightning", "module", "training_step", "self", TRAIN, repeats=True),
    *(Hook("Lightning", "module", name, "self", mode) for name, mode in _LIGHTNING_1_EPOCH_ENDS),
    *(Hook("Lightning", "module", name, "self", EVAL) for name in ("validation_step", "test_step", "predict_step")),
    *(Hook("Lightning", "module", name, "self", TRAIN) for name in _LIGHTNING_TRAIN),
    *(Hook("Lightning", "module", name, "self", EVAL) for name in _LIGHTNING_EVAL),
    # Callback hooks: `def on_train_epoch_end(self, trainer, pl_module)`
    *(Hook("Lightning", "callback", name, "pl_module", TRAIN) for name in _LIGHTNING_TRAIN),
    *(Hook("Lightning", "callback", name, "pl_module", EVAL) for name in _LIGHTNING_EVAL),
)

# the framework bases a class may derive from: qualified-name prefixes and how the base's name ends; a
# library's own subclass of a framework base counts as that base (scvi-tools' training plans are
# LightningModules: Lightning runs their hooks)
_BASES = {
    "module": ((("pytorch_lightning.", "lightning."), "LightningModule"), (("scvi.train.",), "TrainingPlan")),
    "callback": ((("pytorch_lightning.", "lightning."), "Callback"),),
}
_BY_METHOD: dict[str, list[Hook]] = {}
for _hook in HOOKS:
    _BY_METHOD.setdefault(_hook.method, []).append(_hook)


def hook_of(model: "FileModel", func: cst.FunctionDef) -> tuple[Hook, str] | None:
    """The row for ``func`` when it is a method of a class of this file that derives directly from a
    framework base the row names, with the parameter that holds the module (by the framework's name, or
    by its place after ``self`` and ``trainer`` for a callback); else None."""
    rows = _BY_METHOD.get(func.name.value)
    scope = model.scopes.get(func)
    info = model.enclosing_class(scope.parent) if rows and scope is not None and scope.parent is not None else None
    if info is None or info.methods.get(func.name.value) is not func:
        return None
    for hook in rows:
        if not _framework_class(model, info, hook.base):
            continue
        params = [p.name.value for p in func.params.params]
        if hook.param in params:
            return hook, hook.param
        if hook.base == "callback" and len(params) >= 3:
            return hook, params[2]  # (`def on_train_epoch_end(self, trainer, module)`)
        return None
    return None


def _framework_class(model: "FileModel", info, base: str, following: frozenset = frozenset()) -> bool:
    """Whether the class derives from one of the framework's ``base`` classes, directly or through project base
    classes of any file (``class TreeModel(baseline.TreeModel)`` whose base is a ``LightningModule``), however
    many (each once)."""
    from bn_lint.semantic.project.definitions import project_class

    following = entered(following, id(info.node))
    if following is None:
        return False

    for written in info.bases:
        if _derives_from(model.qualname(written) or "", base):
            return True
        found = project_class(model, written) if isinstance(written, (cst.Name, cst.Attribute)) else None
        if found is not None and _framework_class(found[0], found[1], base, following):
            return True
    return False


def _derives_from(qualname: str, base: str) -> bool:
    """Whether a class's base of this qualified name is one of the framework's ``base`` classes."""
    return any(qualname.startswith(prefixes) and qualname.endswith(suffix) for prefixes, suffix in _BASES[base])


def given_may_hold_batchnorm(model: "FileModel", hook: Hook) -> bool:
    """Whether the module a callback hook is given (the project's LightningModule, which this file may not
    import) may hold BatchNorm: a file of this folder or the one above that derives from the module base
    builds or loads BatchNorm models (RULES.md, Evidence: a model of unknown class)."""

    if hook.base == "module" or project_builds_batchnorm(model):
        return True
    project = model.project
    if project is None:
        return False
    here = os.path.dirname(os.path.abspath(model.path))
    for folder in dict.fromkeys((here, os.path.dirname(here))):
        for path in files_mentioning(project, model.path, folder, _BASES["module"][0][1], recursive=False)[:8]:
            other = project.model(path)
            if other is not None and project_builds_batchnorm(other):
                return True
    return False


def earlier_hooks(model: "FileModel", func: cst.FunctionDef, hook: Hook) -> list[cst.FunctionDef]:
    """The same class's hooks the framework runs in the same mode before ``func`` (``on_train_epoch_start``
    before ``training_step``): what they do to the module (``self.backbone.eval()``) holds in ``func``."""
    if hook.base != "module" or hook.method.endswith("_start"):
        return []
    info = model.class_of_method(func)
    if info is None:
        return []
    found = []
    for name, method in info.methods.items():
        other = hook_of(model, method) if name.endswith("_start") and method is not func else None
        if other is not None and other[0].mode == hook.mode and other[0].base == hook.base:
            found.append(method)
    return found


def hooks_reaching(model: "FileModel", func: cst.FunctionDef) -> list[Hook] | None:
    """The framework hooks of ``func``'s class (a module base's rows) that call the plain method ``func`` on
    ``self``, directly or through other plain methods of the class: ``def training_epoch_end(self, outs):
    self.log("iou", self.evaluate())`` runs ``evaluate()`` in the mode Lightning runs the hook in. None when
    ``func`` is a hook itself or the framework's own entry point (``forward``), when some caller is neither such a
    hook nor such a method (code outside the class, another object's method of that name, a method of the class
    no hook calls), or when no caller is in sight."""
    info = _method_class(model, func)
    if info is None or hook_of(model, func) is not None or func.name.value in _FRAMEWORK_CALLED:
        return None
    found: list[Hook] = []
    seen, todo = {func}, [func]
    while todo:
        method = todo.pop()
        callers = [site for site in model.calls if isinstance(site.node.func, cst.Attribute)
                   and site.node.func.attr.value == method.name.value]
        if not callers:
            return None
        for site in callers:
            call = site.node.func
            caller = _method_of(model, site.scope, info)
            if not (isinstance(call.value, cst.Name) and call.value.value == "self") or caller is None:
                return None  # (on another object, or from code that is no method of the class)
            hook = hook_of(model, caller)
            if hook is not None:
                if hook[0].base != "module":
                    return None
                found.append(hook[0])
            elif caller.name.value in _FRAMEWORK_CALLED or caller.name.value in _BY_METHOD:
                return None  # (a framework's method this table gives no mode: `forward`, `setup`)
            elif caller not in seen and len(seen) < 8:
                seen.add(caller)
                todo.append(caller)
            elif caller not in seen:
                return None
    return found or None


def known_mode_outside_steps(model: "FileModel", func: cst.FunctionDef) -> bool:
    """Whether ``func`` is a module hook, or a plain method only such hooks reach (``hooks_reaching``), none of
    them a training step (which runs models as the framework's loop does: a teacher's run under ``no_grad`` is
    training)."""
    found = hook_of(model, func)
    hooks = [found[0]] if found is not None and found[0].base == "module" else hooks_reaching(model, func)
    return bool(hooks) and not any(hook.method.endswith("_step") and hook.mode == TRAIN for hook in hooks)


def project_driven(model: "FileModel", func: cst.FunctionDef) -> bool:
    """Whether the project, not the framework, runs ``func``, a method of a framework module class: a method of
    the class that sets modes itself calls it (``driven_by_own_method``), or only code outside the class does
    (``called_from_outside_only``)."""
    return driven_by_own_method(model, func) or called_from_outside_only(model, func)


def driven_by_own_method(model: "FileModel", func: cst.FunctionDef) -> bool:
    """Whether a plain method of ``func``'s framework class, one that is no hook, calls ``func`` (directly or
    through the class's own methods) after setting a mode itself: ``def fit(self, ...): self.net.train();
    self._process_epoch(test_loader, "test")`` drives the class as the project's own loop, not the framework's."""
    info = _method_class(model, func)
    if info is None or hook_of(model, func) is not None or func.name.value in _FRAMEWORK_CALLED:
        return False
    seen, todo = {func}, [func]
    while todo:
        method = todo.pop()
        for site in model.calls:
            call = site.node.func
            if not (isinstance(call, cst.Attribute) and call.attr.value == method.name.value
                    and isinstance(call.value, cst.Name) and call.value.value == "self"):
                continue
            caller = _method_of(model, site.scope, info)
            if caller is None or caller in seen or hook_of(model, caller) is not None \
                    or caller.name.value in _FRAMEWORK_CALLED or caller.name.value in _BY_METHOD:
                continue
            if _sets_own_mode(model, caller):
                return True
            if len(seen) < 8:
                seen.add(caller)
                todo.append(caller)
    return False


def called_from_outside_only(model: "FileModel", func: cst.FunctionDef) -> bool:
    """Whether ``func`` is a plain method of a framework module class (no hook, no method the framework calls) that
    no method of its class calls: a public ``predict(images)`` the project's users call on the instance, where the
    framework sets no mode."""
    info = _method_class(model, func)
    name = func.name.value
    if info is None or hook_of(model, func) is not None or name in _FRAMEWORK_CALLED or name in _BY_METHOD:
        return False
    return not any(isinstance(site.node.func, cst.Attribute) and site.node.func.attr.value == name
                   and _method_of(model, site.scope, info) is not None for site in model.calls)


def _sets_own_mode(model: "FileModel", method: cst.FunctionDef) -> bool:
    """A ``self.train()`` / ``self.part.train()`` / ``.eval()`` in ``method``'s own body."""
    for node in walk(method.body):
        func = node.func if isinstance(node, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value in ("train", "eval"):
            root = func.value
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and root.value == "self":
                return True
    return False


# a module's methods a framework calls whose mode the table does not know (they may run in either phase)
_FRAMEWORK_CALLED = frozenset({"__init__", "__call__", "forward", "setup", "teardown", "prepare_data",
                               "configure_optimizers", "configure_callbacks", "on_fit_start", "on_fit_end",
                               "on_train_start", "on_train_end", "on_save_checkpoint", "on_load_checkpoint"})


def _method_class(model: "FileModel", func: cst.FunctionDef):
    """The class of this file ``func`` is a method of, when one of its bases is a framework module base."""
    info = model.class_of_method(func)
    if info is None or info.methods.get(func.name.value) is not func \
            or not any(_derives_from(model.qualname(base) or "", "module") for base in info.bases):
        return None
    return info


def _method_of(model: "FileModel", scope, info) -> cst.FunctionDef | None:
    """The method of class ``info`` whose own body (not a function nested in it) is ``scope``."""
    node = scope.node if scope is not None else None
    if not isinstance(node, cst.FunctionDef) or scope.parent is None \
            or model.enclosing_class(scope.parent) is not info or info.methods.get(node.name.value) is not node:
        return None
    return node
