"""Mutations of real source files, for fuzzing the checker (tests/test_properties.py, benchmarks/fuzz_mutants.py).

Each mutation takes the text and a ``random.Random`` and returns a new text: what editing, a bad
merge, a truncated download or another platform does to a file.
"""
from __future__ import annotations

import random
import re
from typing import Callable

_TOKEN = re.compile(r"\w+|[^\w\s]+")
_UNICODE = ["é", "\u00a0", "\u200b", "\ufeff", "𝔁", "ß", "\u2028", "中文", "\U0001f600", "\x0c", "\t", "\\"]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "".join(lines)


def swap_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def swap_tokens(text: str, rng: random.Random) -> str:
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) < 2:
        return text
    a, b = sorted(rng.sample(tokens, 2), key=lambda m: m.start())
    return text[:a.start()] + b.group() + text[a.end():b.start()] + a.group() + text[b.end():]


def delete_token(text: str, rng: random.Random) -> str:
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return text
    t = rng.choice(tokens)
    return text[:t.start()] + text[t.end():]


def duplicate_token(text: str, rng: random.Random) -> str:
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return text
    t = rng.choice(tokens)
    return text[:t.end()] + " " + t.group() + text[t.end():]


def truncate(text: str, rng: random.Random) -> str:
    return text[:rng.randrange(len(text) + 1)]


def insert_unicode(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(_UNICODE) + text[i:]


def cr_only(text: str, rng: random.Random) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r")


def crlf(text: str, rng: random.Random) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def dedent_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = lines[i].lstrip(" \t")
    return "".join(lines)


MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    f.__name__: f for f in (delete_line, duplicate_line, swap_lines, swap_tokens, delete_token, duplicate_token,
                            truncate, insert_unicode, cr_only, crlf, dedent_line)
}


def mutate(text: str, rng: random.Random, steps: int = 1) -> tuple[str, list[str]]:
    """``text`` after ``steps`` random mutations, and their names."""
    names = []
    for _ in range(steps):
        name = rng.choice(sorted(MUTATIONS))
        text = MUTATIONS[name](text, rng)
        names.append(name)
    return text, names
