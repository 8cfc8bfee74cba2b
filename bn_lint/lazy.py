"""libcst, imported when first used: a file the pre-filter clears never pays for it.

Only the ``bn-lint`` command does this (``cli.main``): in other programs' processes (pytest with
the tracer plugin, flake8 with the bn-lint plugin) ``sys.modules["libcst"]`` stays the real module.

Importing libcst builds ~230 dataclasses (0.15 s), most of a one-file run that parses
nothing; when it is imported, their generated code comes from ``import_cache``. Every module here still says ``import libcst as cst``: ``import_lazily`` puts a
stand-in in ``sys.modules`` that imports the real module on its first attribute read.
(The standard library's ``LazyLoader`` cannot do this on Python 3.11: a second ``import``
statement reads ``__spec__``, which loads the module.)
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class _Deferred(types.ModuleType):
    """Stands in for a module until an attribute it lacks is read, then takes on its contents."""

    def __getattr__(self, attr: str):  # only called for attributes not (yet) in __dict__
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        from .import_cache import cached_dataclass_code

        with cached_dataclass_code():  # libcst's dataclasses, compiled once per machine
            real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def import_lazily(name: str) -> None:
    """Make ``import name`` give a stand-in that imports ``name`` when first used (no-op once imported)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return  # not installed: the real import raises its usual error
    stand_in = _Deferred(name)
    stand_in.__spec__ = spec
    sys.modules[name] = stand_in
