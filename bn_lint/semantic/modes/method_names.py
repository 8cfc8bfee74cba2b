"""What a method of a given name does to modes, read from the text of its definitions in this file and the
project files it imports (without parsing them): a submodule's name (``x.encoder(...)`` runs it), a method that
keeps modes, one that runs ``self(...)``."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bn_lint.semantic.file.project_imports import defined_in_repository, imported_deeper
from .known_calls import _SAFE_METHODS, RUN_METHOD

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis

# in a method's text: what may change a mode, and the calls of `self`'s methods
_SETS_MODES = re.compile(r"\.\s*(?:eval|train|apply|requires_grad_?|training)\b|\bsetattr\b|\bexec\b")


def sets_modes(text: str) -> bool:
    """Whether a method's code (its comments and strings blanked: a docstring saying "train.py displays these")
    may switch a mode or a gradient."""
    from bn_lint.prefilter import code_only

    return _SETS_MODES.search(code_only(text)) is not None


_SELF_CALLS = re.compile(r"\bself\s*\.\s*(\w+)\s*\(")
_RUNS_SELF = re.compile(r"\bself\s*(?:\.\s*forward\s*)?\(")


def submodule_name(analysis: "ModeAnalysis", name: str) -> bool:
    """Whether ``x.name(...)`` runs a submodule (whose forward leaves modes alone), not a method: the
    classes of this file and of the project files it imports assign ``self.name = ...`` and none
    defines ``def name``."""
    if name not in analysis._submodule_names:
        model = analysis.model
        assigned = defined = False
        for info in model.classes.values():
            assigned |= name in info.attributes
            defined |= name in info.methods
        if model.project is not None and not defined:
            paths = list(model.imported_project_paths)
            for path in paths:
                defines, assigns = model.project.names_in_text(path)
                if name in defines:
                    defined = True
                    break
                assigned = assigned or name in assigns
            if not assigned and not defined:  # (`load_model()` of utils.py builds `Net` of net.py: imports deeper)
                for path in imported_deeper(model, paths):
                    if path in paths:
                        continue
                    defines, assigns = model.project.names_in_text(path)
                    if name in defines:
                        defined = True
                        break
                    assigned = assigned or name in assigns
        analysis._submodule_names[name] = assigned and not defined
    return analysis._submodule_names[name]


def method_keeps_modes(analysis: "ModeAnalysis", name: str, repository: bool = False) -> bool:
    """Whether every ``def name`` of this file's classes and of the project files it imports (at
    least one) leaves modes alone: no ``.eval()``, ``.train()``, ``.training``, ``.apply()``, no
    ``requires_grad``, and no call of another method of ``self`` (``backbone.load_pretrained(path)``; a
    submodule's, ``self.encoder(x)``, is a run; a method of ``self`` that itself keeps modes is followed,
    however many calls deep: each method's answer is worked out once, a method calling itself back keeps
    modes as far as the rest of it says).
    Read from the text, without parsing the other files. ``repository``: where neither this file nor its imports
    define the name, the repository's definitions of it decide (a followed model's method, ``model.load(path)``)."""
    if repository and not analysis.model.method_texts(name) and name not in _SAFE_METHODS:
        texts = defined_in_repository(analysis.model, name)
        return bool(texts) and all(text != "?" and not sets_modes(text) for text in texts)
    if name not in analysis._keeping_methods:
        texts = analysis.model.method_texts(name)
        if not texts and RUN_METHOD.fullmatch(name):  # (`model.features(x)` of a class out of sight: it runs it)
            analysis._keeping_methods[name] = True
            return True
        analysis._keeping_methods[name] = True  # (a method calling itself, or one calling it back: as the rest says)
        analysis._keeping_methods[name] = bool(texts) and not any(
            text == "?" or sets_modes(text) or any(
                m not in _SAFE_METHODS | {"forward"} and not submodule_name(analysis, m)  # (`self.encoder(x)`: a run)
                and not method_keeps_modes(analysis, m)
                for m in _SELF_CALLS.findall(text))
            for text in texts)
    return analysis._keeping_methods[name]


_HANDS_SELF = re.compile(r"[\w)]\s*\(\s*self\b(?!\s*[(.\[])|,\s*self\b(?!\s*[(.\[])")


def hands_self_on(body: str) -> bool:
    """Whether a method's ``body`` gives its instance to a function (``hessian(self, criterion)``, ``freeze(self)``),
    which may switch its modes where the method's own text shows no switch."""
    return _HANDS_SELF.search(body) is not None


def method_runs_self(analysis: "ModeAnalysis", name: str) -> bool:
    """Whether every ``def name`` (as in ``method_keeps_modes``, which must hold too) runs ``self(...)``:
    ``model.training_step(batch)`` of a course's ``ImageClassificationBase`` is a forward pass."""
    return method_keeps_modes(analysis, name) and all(_RUNS_SELF.search(t) for t in analysis.model.method_texts(name))


SWITCHES_OWN_MODE = re.compile(r"\bself\s*\.\s*(?:eval|train)\s*\(")  # (a method setting its own instance's mode)
_EVALS_SELF = re.compile(r"\bself\s*\.\s*eval\s*\(\s*\)")
_TRAINS_SELF = re.compile(r"\bself\s*\.\s*train\s*\(")


def method_evaluates_self(analysis: "ModeAnalysis", name: str) -> bool:
    """Whether every ``def name`` seen (as in ``method_keeps_modes``, at least one) puts its own instance in eval and
    runs it, never putting it back (``def predict(self, x): self.eval(); with torch.inference_mode(): return
    self(x)``): ``model.predict(x)`` leaves ``model`` in eval, an evaluation that does not restore the mode."""
    texts = analysis.model.method_texts(name)
    return bool(texts) and all(
        text != "?" and _EVALS_SELF.search(text) is not None and _TRAINS_SELF.search(text) is None
        and _RUNS_SELF.search(text[_EVALS_SELF.search(text).end():]) is not None for text in texts)
