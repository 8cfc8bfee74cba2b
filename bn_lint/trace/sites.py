"""Where things are in the user's code: construction sites of BatchNorm layers (recorded by
wrapping ``_BatchNorm.__init__`` while a tracer is active), user frames, and fallbacks for
layers built before tracing started."""
from __future__ import annotations

import itertools
import os
import sys
import threading
import weakref

import torch
from torch.nn.modules import batchnorm as _bn

from .report import Site

_BatchNorm = _bn._BatchNorm
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # bn_lint/
_SKIP_FILES = ("<frozen runpy>", "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_RUNPY = os.sep + "runpy.py"

SITES: "weakref.WeakKeyDictionary[torch.nn.Module, Site]" = weakref.WeakKeyDictionary()
_patch_lock = threading.Lock()
_patch_users = 0
_saved_init = None


def is_user_file(filename: str) -> bool:
    return not (filename.startswith(_TORCH_DIR) or filename.startswith(_OWN_DIR) or filename in _SKIP_FILES
                or filename.endswith(_RUNPY))


def rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


def frame_site(frame) -> Site:
    code = frame.f_code
    line = frame.f_lineno or code.co_firstlineno
    column, end_line, end_column = 1, line, 0
    if hasattr(code, "co_positions") and frame.f_lasti >= 0:
        try:
            pos = next(itertools.islice(code.co_positions(), frame.f_lasti // 2, None))
            if pos[0] == line and pos[2] is not None:
                column = pos[2] + 1
                end_line = pos[1] or line
                end_column = (pos[3] + 1) if pos[3] is not None else 0
        except (StopIteration, ValueError):
            pass
    return Site(rel(code.co_filename), line, column, end_line, end_column)


def user_frame(frame, skip_self=None):
    """The innermost frame outside torch and bn-lint (and outside ``skip_self``'s own __init__)."""
    while frame is not None:
        code = frame.f_code
        if is_user_file(code.co_filename):
            if not (skip_self is not None and code.co_name == "__init__"
                    and code.co_varnames[:1] == ("self",) and frame.f_locals.get("self") is skip_self):
                return frame
        frame = frame.f_back
    return None


def note_construction(table, obj, caller) -> None:
    """Record in ``table`` the user's line that built ``obj`` (``caller``: the constructor's caller's
    frame); never breaks a constructor."""
    try:
        if obj not in table:
            frame = user_frame(caller, skip_self=obj)
            if frame is not None:
                table[obj] = frame_site(frame)
    except Exception:  # never break a constructor
        pass


def _recording_init(self, *args, **kwargs):
    _saved_init(self, *args, **kwargs)
    note_construction(SITES, self, sys._getframe(1))


def patch_init() -> None:
    global _patch_users, _saved_init
    with _patch_lock:
        if _patch_users == 0:
            _saved_init = _BatchNorm.__dict__["__init__"]
            _BatchNorm.__init__ = _recording_init
        _patch_users += 1


def unpatch_init() -> None:
    global _patch_users
    with _patch_lock:
        _patch_users -= 1
        if _patch_users == 0:
            _BatchNorm.__init__ = _saved_init


# inspect.getsourcelines(cls) parses the file with ``ast``; CPython 3.11's ast is not safe to use from
# several threads at once ("AST constructor recursion depth mismatch"), so lookups are serialised.
_SOURCE_LOCK = threading.Lock()


def _class_site(cls, attr: str = "") -> Site | None:
    """``self.<attr> =`` inside ``cls`` (when given), else the ``class`` line; None for torch's classes."""
    import inspect

    try:
        with _SOURCE_LOCK:
            path = inspect.getsourcefile(cls)
            lines, start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if path is None or not is_user_file(os.path.abspath(path)):
        return None
    if attr and not attr.isdigit():
        needle = f"self.{attr}"
        for offset, text in enumerate(lines):
            code = text.split("#", 1)[0]
            if needle in code and code.split(needle, 1)[1].lstrip().startswith("=") \
                    and not code.split(needle, 1)[1].lstrip().startswith("=="):
                column = text.index(needle) + 1
                return Site(rel(path), start + offset, column, start + offset, column + len(needle), exact=False,
                            how=f"`self.{attr} =` in {cls.__qualname__}")
    return Site(rel(path), start, 1, start, 1 + len(lines[0].rstrip()), exact=False, how=f"class {cls.__qualname__}")


def fallback_site(module, path: str, modules: dict) -> Site | None:
    """For a layer built before tracing: the nearest user-defined owner class (its ``self.x =`` line
    when it owns the layer directly, else its ``class`` line), else the layer's own class."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        owner = modules.get(".".join(parts[:cut]))
        if owner is None:
            continue
        site = _class_site(type(owner), parts[cut] if cut == len(parts) - 1 else "")
        if site is not None:
            return site
    return _class_site(type(module))
