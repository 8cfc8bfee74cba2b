"""Questions about a file's text, answered without parsing it, and whether a changed file still answers the same.

A lookup that searches a folder reads most files only to ask their text a question (does it hold
``build_model_with_cfg(``? which names does it define?). A result that depends on such a file through its
answers alone stays true after an edit that keeps them: the cache records the questions with their answers
(``DependencyLog.record``) and asks them again of a changed file (``same_answers``) instead of throwing the
result away, as an early cut-off of the recomputation.

A question is ``("re", pattern)``: whether the text matches a regular expression (ASCII); ``("names", "")``:
``names_digest`` of what ``text_names`` reads; or ``("bodies", name)``: ``bodies_digest`` of the text of every
``def name(`` (``function_bodies``).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

try:  # the blake2 module alone: ``hashlib`` loads OpenSSL, a measurable part of a one-file run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

# every ``class X`` / ``def X`` (overlapping: a look-ahead), and every line that starts ``X =`` / ``X: T =``
_KEYWORD_NAME = re.compile(rb"(?<!\w)(?=(class|def)\s+([\w\x80-\xff]+))")
_LINE_ASSIGNED = re.compile(rb"(?m)^([\w\x80-\xff]+)[ \t]*(?::[^=\n]*)?=(?!=)")
_DEF_NAME = re.compile(rb"(?<![\w.])def\s+(\w+)")
_SELF_ASSIGNED = re.compile(rb"\bself\.(\w+)\s*=(?!=)")
# a line that starts ``name =`` and whose value names a BatchNorm layer (``Norm = partial(nn.BatchNorm2d, ...)``)
_BATCHNORM_ALIAS = re.compile(rb"(?m)^([\w\x80-\xff]+)[ \t]*(?::[^=\n]*)?=(?!=)[^\n#]*BatchNorm")


class TextNames(NamedTuple):
    """Names a file's text shows (``text_names``)."""

    classes: frozenset[str]  # after ``class``
    functions: frozenset[str]  # after ``def`` (``async def`` too)
    line_assigned: frozenset[str]  # a line starts ``name =`` / ``name: T =``
    defined: frozenset[str]  # after ``def``, not ``obj.def`` (``Project.names_in_text``)
    self_assigned: frozenset[str]  # ``self.name =``
    batchnorm_aliases: frozenset[str]  # a line starts ``name =`` and names BatchNorm after it


def text_names(data: bytes) -> TextNames:
    """The names the text ``data`` shows, read without parsing it."""
    named: dict[bytes, set[str]] = {b"class": set(), b"def": set()}
    for keyword, name in _KEYWORD_NAME.findall(data):
        named[keyword].add(name.decode("utf-8", "replace"))

    def names(pattern: re.Pattern) -> frozenset[str]:
        return frozenset(m.decode("utf-8", "replace") for m in pattern.findall(data))

    return TextNames(frozenset(named[b"class"]), frozenset(named[b"def"]), names(_LINE_ASSIGNED), names(_DEF_NAME),
                     names(_SELF_ASSIGNED), names(_BATCHNORM_ALIAS))


def names_digest(names: TextNames) -> str:
    """A digest of ``names``, the same for the same names in any order."""
    text = "\n\n".join("\n".join(sorted(field)) for field in names)
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@lru_cache(maxsize=64)
def function_bodies(text: str, name: str) -> tuple[str, ...]:
    """The text of every ``def name(`` in ``text``, with its indented block (a file's text is asked again and
    again for the functions it may define: answered once)."""
    defined = r"def[ \t]+" + re.escape(name) + r"[ \t]*\("
    # (one search of the text, for the pattern without its leading spaces, which a search tries at every
    # place: most files define none)
    if name not in text or re.search(defined, text) is None:
        return ()
    header = re.compile(r"([ \t]*)(?:async[ \t]+)?" + defined)
    lines = text.splitlines()
    bodies = []
    for number, line in enumerate(lines):
        found = header.match(line) if name in line else None
        if found is None:
            continue
        indent, body = len(found.group(1).expandtabs()), [line]
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent \
                    and not following.lstrip().startswith(("#", ")")):
                break
            body.append(following)
        bodies.append("\n".join(body))
    return tuple(bodies)


def bodies_digest(bodies: "tuple[str, ...]") -> str:
    """A digest of ``function_bodies``'s answer."""
    return blake2b("\0".join(bodies).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@lru_cache(maxsize=4096)  # (the same patterns, asked of every file: one question each, held once)
def pattern_question(pattern: bytes) -> "tuple[str, str] | None":
    """The question whether a text matches ``pattern``; None when the pattern is not ASCII (its bytes and its
    text could answer differently: such a file is depended on whole)."""
    return ("re", pattern.decode("ascii")) if pattern.isascii() else None


class Answers:
    """The answers of one file's text (its ``data``), each worked out once: a changed file is asked again for
    every result that depends on it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        try:
            self.text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:  # (its bytes and its text may disagree: no answer is taken as the same)
            self.text = None
        self._found: dict[tuple[str, str], Any] = {}

    def answer(self, kind: str, argument: str) -> Any:
        """The answer to ``(kind, argument)``; None for a kind not known (never an answer recorded)."""
        memo = (kind, argument)
        if memo not in self._found:
            assert self.text is not None
            if kind == "re":  # (asked of both, as a run may ask either: the bytes of a file not parsed, the text
                #              of one parsed; two that disagree are no answer)
                in_bytes = re.search(argument.encode("ascii"), self.data) is not None
                self._found[memo] = in_bytes if (re.search(argument, self.text) is not None) is in_bytes else None
            elif kind == "names":
                self._found[memo] = names_digest(text_names(self.data))
            elif kind == "bodies":
                self._found[memo] = bodies_digest(function_bodies(self.text, argument))
            else:
                self._found[memo] = None
        return self._found[memo]


def same_answers(answers: Answers, questions: list) -> bool:
    """Whether a text (``answers``) gives each of ``questions`` (``[kind, argument, answer]``) its answer. The text
    must be UTF-8, where its bytes and its characters agree on an ASCII pattern."""
    return answers.text is not None and all(answer is not None and answers.answer(kind, argument) == answer
                                            for kind, argument, answer in questions)
