"""The pre-filter: which rules can flag a file, decided from its text before any parse.

Each rule names the patterns (its ``triggers``) that any file it can flag holds in
its code. They are searched in the file's code alone: comments and string literals
(docstrings, most of the text of a well-documented model file) are blanked first,
so prose that mentions ``model.fit(`` or ``torch.no_grad`` does not cost a parse.
f-strings are kept whole: the expressions inside them are code.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .rule import Rule

# In Python 3.11 source that compiles, a quote or `#` outside a string or comment always opens
# one, and a string never holds its own unescaped quote: a leftmost scan finds them exactly.
_STRING_OR_COMMENT = re.compile("|".join((
    r"#[^\r\n]*",
    r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""',
    r"'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''",
    r'"[^"\\\r\n]*(?:\\[\s\S][^"\\\r\n]*)*"',
    r"'[^'\\\r\n]*(?:\\[\s\S][^'\\\r\n]*)*'",
)))


_LONE_CR = re.compile(r"\r(?!\n)")


def _blank(match: re.Match) -> str:
    start = match.start()
    prefix = match.string[max(0, start - 2):start]
    if match.group()[0] != "#" and ("f" in prefix or "F" in prefix):
        return match.group()  # an f-string (or a name ending in f just before a string: kept, to be safe)
    return " "


def code_only(text: str) -> str:
    """``text`` with comments and non-f string literals replaced by a space (for compilable source)."""
    return _STRING_OR_COMMENT.sub(_blank, text)


# a file that imports another deep-learning framework and nothing of PyTorch's (d2l's mxnet.py beside its torch.py)
_OTHER_FRAMEWORK = re.compile(
    r"^[ \t]*(?:import|from)[ \t]+(?:mxnet|tensorflow|keras|jax|flax|paddle|mindspore|oneflow|chainer)\b", re.M)
_TORCH = re.compile(r"^[ \t]*(?:import|from)[ \t]+(?:torch|torchvision|timm|lightning|pytorch_lightning)\b|\btorch\b", re.M)


# what a project name a file imports may stand for in its text (the word added to it, and how the text says it
# itself): a BatchNorm layer (`Norm = partial(nn.BatchNorm2d)` in another file), a function of another file
# that takes a training step (`adversarial_epoch(gen, disc, ...)`: a training loop around it trains), or a class with
# a method run under `@torch.no_grad()` (`net.predict(s)`: an inference)
STAND_INS = {"BatchNorm": re.compile("BatchNorm"), "loss.backward()": re.compile(r"\.backward\s*\("),
             "no_grad": re.compile("no_grad")}


class Prefilter:
    """The rules whose triggers match a file's code; rules without triggers always run."""

    def __init__(self, rules: Sequence["Rule"]) -> None:
        self.rules = list(rules)
        # a trigger is a pattern, or a tuple of patterns that must all match
        self._triggers = {
            rule.code: [tuple(re.compile(p) for p in ((t,) if isinstance(t, str) else t)) for t in rule.triggers]
            for rule in self.rules if rule.triggers
        }

    def active(self, text: str, imported_means: "Callable[[str], bool] | None" = None) -> list["Rule"]:
        """The rules that can flag ``text``; ``imported_means(word)`` answers whether a project name the file
        imports stands for one of ``STAND_INS`` (then the file's text says it by that name: asked only when
        it decides a rule)."""
        code = code_only(text)
        if "\r" in code:  # lone \r line breaks as \n (same length), so triggers' ``$`` and ``^`` see them
            code = _LONE_CR.sub("\n", code)
        if _OTHER_FRAMEWORK.search(code) and not _TORCH.search(code):
            return []  # (MXNet, TensorFlow, JAX... code: its BatchNorm has no PyTorch train/eval state)
        active = [rule for rule in self.rules if self._matched(rule, code)]
        for word, said in STAND_INS.items() if imported_means is not None else ():
            if len(active) == len(self.rules) or said.search(code):
                continue
            more = [rule for rule in self.rules if rule not in active and self._activated_by(rule, code, word)]
            if more and imported_means(word):
                active = [rule for rule in self.rules if rule in active or rule in more]
        return active

    def _activated_by(self, rule: "Rule", code: str, word: str) -> bool:
        """Whether ``word`` added to ``code`` (which does not activate ``rule``) would: a trigger one of whose
        patterns the word matches, its others matched by the code (the short word is searched first)."""
        return any(any(p.search(word) for p in patterns) and all(p.search(word) or p.search(code) for p in patterns)
                   for patterns in self._triggers.get(rule.code, ()))

    def _matched(self, rule: "Rule", code: str) -> bool:
        return rule.code not in self._triggers or any(all(p.search(code) for p in patterns)
                                                      for patterns in self._triggers[rule.code])
