"""BN205 keras-momentum."""
from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.arguments import parameter_numbers
from ..semantic.model import FileModel, NodeFix, Report
from ..semantic.values import literal_number

THRESHOLD = 0.5


class KerasMomentum(Rule):
    code = "BN205"
    name = "keras-momentum"
    severity = Severity.WARNING
    fixable = True
    summary = "BatchNorm `momentum` of 0.5 or more: the Keras/TF convention in PyTorch."
    what = """
        Flags a PyTorch BatchNorm layer built with `momentum` ≥ 0.5, directly, through
        `functools.partial`, or through a name bound to a BatchNorm class. The value may be a
        literal, a constant or config entry (of this file or another project file), or a parameter
        whose default, or a call of this file, gives it. The finding is at the call, or at the
        `momentum=` argument when a call over several lines has it on a line of its own.
    """
    why = """
        In PyTorch, `momentum` is the weight of the *new* batch in the running averages
        (default 0.1). Keras and TensorFlow use the weight of the *old* value (default 0.99).
        A `momentum=0.9` or `0.99` copied from TF code makes the running statistics follow the
        last batch almost entirely, so evaluation uses the noisy statistics of one batch.
    """
    example = """
        bn = nn.BatchNorm2d(64, momentum=0.99)
    """
    fix_docs = """
        Use `1 - momentum`: `nn.BatchNorm2d(64, momentum=0.01)`. `--fix` rewrites a literal value.
    """
    fix_safety = "unsafe"
    fix_safety_docs = """
        A new momentum changes how the running statistics follow training: a model trained again gives
        different evaluation results.
    """
    triggers = ("BatchNorm",)
    invalid = (
        Invalid(  # a class constant read through `self`
            """
            import torch.nn as nn

            class UNet3D(nn.Module):
                BN_MOMENTUM = 0.99

                def block(self, c_in, c_out):
                    return nn.Sequential(nn.Conv3d(c_in, c_out, 3, bias=False),
                                         nn.BatchNorm3d(c_out, momentum=self.BN_MOMENTUM))
            """,
            line=8,
        ),
        Invalid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=0.99)\n", line=2),
        Invalid("from torch.nn import BatchNorm1d as BN\nlayer = BN(32, 1e-3, 0.9)\n", line=2),
        Invalid(
            """
            import functools
            import torch

            BN_MOMENTUM = 0.9
            norm = functools.partial(torch.nn.BatchNorm2d, momentum=BN_MOMENTUM)
            layer = norm(64)
            """,
            line=5,
        ),
        Invalid("import functools\nimport torch.nn as nn\nBatchNorm2d = functools.partial(nn.BatchNorm2d, eps=1e-3, "
                "momentum=0.99)\n", line=3),
        Invalid(  # a Keras port's layer over several lines: the momentum's own line
            """
            import torch.nn as nn

            bn = nn.BatchNorm1d(
                64,
                eps=1e-3,
                momentum=0.99,
            )
            """,
            line=6,
        ),
        Invalid(  # a constructor parameter: the default, which the call leaves in place
            """
            import torch.nn as nn

            class Tower(nn.Module):
                def __init__(self, dims=(256, 64), bn_momentum=0.9):
                    super().__init__()
                    self.bns = nn.ModuleList([nn.BatchNorm1d(d, momentum=bn_momentum) for d in dims])

            tower = Tower((128, 32))
            """,
            line=6,
        ),
        Invalid(  # ... or given at a call
            """
            import torch.nn as nn

            def block(c, momentum=0.1):
                return nn.Sequential(nn.Conv2d(c, c, 3, bias=False), nn.BatchNorm2d(c, momentum=momentum))

            layers = [block(16), block(32, momentum=0.99)]
            """,
            line=4,
        ),
    )
    valid = (
        Valid(  # the constant a subclass overrides is not the one every instance reads
            """
            import torch.nn as nn

            class Base(nn.Module):
                BN_MOMENTUM = 0.99

                def norm(self, c):
                    return nn.BatchNorm2d(c, momentum=self.BN_MOMENTUM)

            class Net(Base):
                BN_MOMENTUM = 0.01
            """
        ),
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=0.01)\n"),
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=None)\n"),
        Valid("import tensorflow as tf\nbn = tf.keras.layers.BatchNormalization(momentum=0.99)\n"),
        Valid("import torch.nn as nn\ndef make(m):\n    return nn.BatchNorm1d(8, momentum=m)\n"),
        Valid("import torch.nn as nn\ndef make(m=0.9):\n    return nn.BatchNorm1d(8, momentum=m)\nbn = make(0.01)\n"),
        Valid("import torch\nopt = torch.optim.SGD(params, lr=0.1, momentum=0.9)\n"),
        Valid("import functools\nimport torch.nn as nn\nnorm = functools.partial(nn.BatchNorm2d, momentum=1 - 0.99)\n"),
        Valid("import functools\nimport torch\nopt = functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)\n"),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for layer in model.layer_calls:
            if layer.spec.is_batchnorm and "momentum" in layer.args and "momentum" not in layer.preset:
                yield from _report(model, layer.node, layer.spec.name, layer.args["momentum"], layer.scope, "")
        # `functools.partial(nn.BatchNorm2d, momentum=0.99)`: reported where the momentum is written, once
        for site in model.calls:
            call = site.node
            if not call.args or model.qualname(call.func) != "functools.partial":
                continue
            found = model.layer_class(call.args[0].value, site.scope)
            momentum = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "momentum"), None)
            if found is not None and found[0].is_batchnorm and momentum is not None:
                yield from _report(model, call, found[0].name, momentum, site.scope, " (through functools.partial)")


def _report(model: FileModel, node: cst.CSTNode, name: str, expr: cst.BaseExpression, scope,
            where: str) -> Iterable[Report]:
    value = model.value(expr, scope)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        found = model.batches.number(expr, scope) or next(
            (given for given in parameter_numbers(model, expr, scope)
             if isinstance(given.value, float) and THRESHOLD <= given.value <= 1), None)
        if found is None:
            return
        value = found.value
        if found.source:
            where += f" ({found.source})"
    if not THRESHOLD <= value <= 1:
        return
    fix = None
    replacement = round(1 - value, 10)
    if literal_number(expr) is not None:
        fix = NodeFix(
            f"use momentum={replacement:g} (PyTorch's convention)",
            [(expr, cst.Float(repr(float(replacement))) if replacement else cst.Integer("0"))],
        )
    argument = model.parent(expr)  # `momentum=0.99`, or the third positional argument
    own_line = (isinstance(argument, cst.Arg) and any(ancestor is node for ancestor in model.ancestors(argument))
                and model.line_of(argument) != model.line_of(node))
    yield Report(
        argument if own_line else node,
        f"{name}(momentum={value:g}){where} uses the Keras/TF convention; in PyTorch "
        f"momentum is the weight of the new batch (default 0.1): did you mean {replacement:g}?",
        fix=fix,
    )
