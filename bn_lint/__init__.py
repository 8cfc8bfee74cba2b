"""bn-lint: find BatchNorm misuse in PyTorch code.

``bn-lint check`` is a static analyzer that never imports torch. The runtime
tracer (``bn_lint.trace``) is in the optional ``trace`` extra.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "trace"]


def __getattr__(name: str):
    if name == "trace":  # lazy: importing bn_lint must not import torch
        from .trace import trace

        return trace
    raise AttributeError(name)
