"""libcst, imported when first used, and then only the parts bn-lint needs.

Importing libcst builds ~230 dataclasses (0.15 s), most of a one-file run that parses
nothing; when it is imported, their generated code comes from ``import_cache``. Every module here still says ``import libcst as cst``: ``import_lazily`` puts a
stand-in in ``sys.modules`` that imports the real module on its first attribute read.
(The standard library's ``LazyLoader`` cannot do this on Python 3.11: a second ``import``
statement reads ``__spec__``, which loads the module.)

For libcst the stand-in loads its core (nodes, parser, exceptions) without running the
package's ``__init__``, which also imports the metadata providers, the batched visitor and
the helpers: a quarter of libcst's import time, none of it used by a check. The package keeps
its real ``__path__``, so ``import libcst.metadata`` still works, and reading any name the core
lacks (``libcst.CSTTransformer``) runs the real ``__init__`` first: the complete package.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# libcst's modules that define what bn-lint reads from ``libcst``, in the order its ``__init__``
# imports them (``_nodes.base`` reads ``CSTLogicError`` from the package, so exceptions come first)
LIBCST_CORE = (
    "libcst._exceptions",
    "libcst._flatten_sentinel",
    "libcst._maybe_sentinel",
    "libcst._removal_sentinel",
    "libcst._nodes.base",
    "libcst._nodes.expression",
    "libcst._nodes.module",
    "libcst._nodes.op",
    "libcst._nodes.statement",
    "libcst._nodes.whitespace",
    "libcst._parser.entrypoints",
    "libcst._visitors",
)


class _Deferred(types.ModuleType):
    """Stands in for a module until an attribute it lacks is read, then takes on its contents."""

    def __getattr__(self, attr: str):  # only called for attributes not (yet) in __dict__
        from .import_cache import cached_dataclass_code

        name = self.__name__
        with cached_dataclass_code():  # libcst's dataclasses, compiled once per machine
            real = sys.modules.get(name)
            if real is None or real is self:
                sys.modules.pop(name, None)
                real = _import_core(name) if name == "libcst" else importlib.import_module(name)
            value = getattr(real, attr)  # (for a name outside libcst's core: its whole package)
        self.__dict__.update({key: item for key, item in real.__dict__.items() if key != "__getattr__"})
        return value


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


def _import_core(name: str) -> types.ModuleType:
    """The package ``name`` holding its core modules' public names, its ``__init__`` not yet run; the
    first read of any other name runs it. Falls back to a plain import if the core does not load."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return importlib.import_module(name)
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    try:
        for module_name in LIBCST_CORE:
            module = importlib.import_module(module_name)
            for key, value in vars(module).items():
                home = getattr(value, "__module__", None)
                if not key.startswith("_") and isinstance(home, str) and home.startswith(name + "."):
                    package.__dict__.setdefault(key, value)
    except Exception:  # another layout (a libcst release that moved its modules): the whole package
        return _complete(package, spec)

    def complete_on_miss(attr: str):
        if not attr.startswith("__") and importlib.util.find_spec(f"{name}.{attr}") is not None:
            return importlib.import_module(f"{name}.{attr}")  # a submodule (`from libcst import native`)
        return getattr(_complete(package, spec), attr)

    package.__getattr__ = complete_on_miss  # type: ignore[attr-defined]
    return package


def _complete(package: types.ModuleType, spec) -> types.ModuleType:
    """Run the package's real ``__init__`` in it (its core modules are imported already)."""
    package.__dict__.pop("__getattr__", None)
    if not getattr(package, "_bn_lint_completed", False):
        package._bn_lint_completed = True  # type: ignore[attr-defined]
        sys.modules[package.__name__] = package
        spec.loader.exec_module(package)
    return package
