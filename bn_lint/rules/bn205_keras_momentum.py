"""BN205 keras-momentum."""
from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.batching.arguments import parameter_numbers
from bn_lint.semantic.file.model import FileModel, NodeFix, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis
from bn_lint.semantic.nn_modules.momentum_sites import assigned_momenta, bundled_momenta, lookup_default
from bn_lint.semantic.syntax.constants import literal_number

THRESHOLD = 0.5


class KerasMomentum(Rule):
    code = "BN205"
    name = "keras-momentum"
    severity = Severity.WARNING
    fixable = True
    summary = "BatchNorm `momentum` above 0.5: the Keras/TF convention in PyTorch."
    what = """
        Flags a PyTorch BatchNorm layer built with `momentum` above 0.5 (at 0.5 the two
        conventions agree: `1 - momentum` is the same value) and below 1 (which keeps the last
        batch's statistics on purpose), directly, through `functools.partial`, a
        `**kwargs` bundle, or a name bound to a BatchNorm class, or set later (`m.momentum = 0.99`
        on a BatchNorm, or under an `isinstance(m, nn.BatchNorm2d)` check). The value may be a
        literal, a constant or config entry (of this file or another project file), the default of
        a settings class a parameter is annotated with, the fallback of `kwargs.get(...)`, or a
        parameter whose default, or a call of this file, gives it. The finding is at the call, or
        at the `momentum=` argument when a call over several lines has it on a line of its own.
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
    use_instead = """
        bn = nn.BatchNorm2d(64, momentum=0.01)  # PyTorch's momentum: the weight of the new batch
    """
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('Keras `BatchNormalization`: momentum is the weight of the old value',
         'https://keras.io/api/layers/normalization_layers/batch_normalization/'),
    )
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
        Invalid(  # a settings dataclass the builder's parameter is annotated with (a TabNet port)
            """
            from dataclasses import dataclass
            import torch

            @dataclass
            class TabNetConfig:
                size: int = 32
                bn_momentum: float = 0.95

            class GhostBN(torch.nn.Module):
                def __init__(self, num_features, momentum):
                    super().__init__()
                    self.bn = torch.nn.BatchNorm1d(num_features, momentum=momentum)

            def build_input_bn(size, config: TabNetConfig):
                return GhostBN(size, momentum=config.bn_momentum)
            """,
            line=12,
        ),
        Invalid(  # set after construction on every BatchNorm of the model
            """
            import torch.nn as nn

            def set_bn_momentum(model, momentum=0.99):
                for m in model.modules():
                    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                        m.momentum = momentum
            """,
            line=6,
        ),
        Invalid(  # a keyword bundle shared by the blocks of a TF port
            """
            import torch.nn as nn

            BN_KWARGS = dict(momentum=0.99, eps=1e-3)

            class Block(nn.Module):
                def __init__(self, c):
                    super().__init__()
                    self.bn = nn.BatchNorm2d(c, **BN_KWARGS)
            """,
            line=8,
        ),
        Invalid(  # the fallback of a settings lookup
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, c, **kwargs):
                    super().__init__()
                    self.bn = nn.BatchNorm2d(c, momentum=kwargs.get("bn_momentum", 0.99))
            """,
            line=6,
        ),
    )
    valid = (
        Valid(  # 0.5: the weight of the new batch and of the old value are the same (a teaching notebook's choice)
            """
            import torch.nn as nn

            bn = nn.BatchNorm1d(16, momentum=0.5)
            """
        ),
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
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=1)  # MAML: keep the last batch's statistics\n"),
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, momentum=None)\n"),
        Valid("import tensorflow as tf\nbn = tf.keras.layers.BatchNormalization(momentum=0.99)\n"),
        Valid("import torch.nn as nn\ndef make(m):\n    return nn.BatchNorm1d(8, momentum=m)\n"),
        Valid("import torch.nn as nn\ndef make(m=0.9):\n    return nn.BatchNorm1d(8, momentum=m)\nbn = make(0.01)\n"),
        Valid("import torch\nopt = torch.optim.SGD(params, lr=0.1, momentum=0.9)\n"),
        Valid("import functools\nimport torch.nn as nn\nnorm = functools.partial(nn.BatchNorm2d, momentum=1 - 0.99)\n"),
        Valid("import functools\nimport torch\nopt = functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)\n"),
        Valid(  # a momentum decayed from PyTorch's 0.1 (PointNet++), and a small one set on every BatchNorm
            """
            import torch.nn as nn

            def bn_momentum_adjust(m, momentum):
                if isinstance(m, nn.BatchNorm2d) or isinstance(m, nn.BatchNorm1d):
                    m.momentum = momentum

            def schedule(model, epoch):
                momentum = max(0.1 * 0.5 ** (epoch // 20), 0.01)
                model.apply(lambda m: bn_momentum_adjust(m, momentum))
                for m in model.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.momentum = 0.01
            """
        ),
        Valid(  # not a BatchNorm's momentum: an EMA teacher's, an optimizer's
            """
            import torch.nn as nn

            class EMA:
                def __init__(self, model, momentum=0.999):
                    self.model, self.momentum = model, momentum

            def tune(optimizer):
                for group in optimizer.param_groups:
                    group["momentum"] = 0.9
            """
        ),
        Valid(  # the settings class's default is overridden where the settings are made
            """
            from dataclasses import dataclass
            import torch.nn as nn

            @dataclass
            class Config:
                bn_momentum: float = 0.99

            def block(c, cfg: Config):
                return nn.BatchNorm2d(c, momentum=cfg.bn_momentum)

            layer = block(8, Config(bn_momentum=0.01))
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for layer in model.layer_calls:
            if layer.spec.is_batchnorm and "momentum" in layer.args and "momentum" not in layer.preset:
                yield from _report(model, layer.node, layer.spec.name, layer.args["momentum"], layer.scope, "")
        bundled: set[int] = set()  # (a `**norm_kwargs` parameter: the first call whose bundle shows it, once)
        for node, name, value, scope in bundled_momenta(model):  # `nn.BatchNorm2d(c, **BN_KWARGS)`
            if id(node) not in bundled:
                found = list(_report(model, node, name, value, scope, " (through a keyword bundle)"))
                bundled.update(id(node) for _ in found)
                yield from found
        for node, name, value, scope in assigned_momenta(model):  # `m.momentum = 0.99` on a BatchNorm
            yield from _report(model, node, name, value, scope, " (set after construction)")
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
    fallback = lookup_default(model, expr, scope)  # `kwargs.get("bn_momentum", 0.99)`
    if fallback is not None:
        expr, where = fallback, where + " (the default of a settings lookup)"
    value = model.value(expr, scope)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        found = model.analysis(BatchAnalysis).number(expr, scope) or next(
            (given for given in parameter_numbers(model, expr, scope)
             if isinstance(given.value, float) and THRESHOLD < given.value < 1), None)
        if found is None:
            return
        value = found.value
        if found.source:
            where += f" ({found.source})"
    # (momentum=1: running stats = the last batch, a deliberate PyTorch choice; 0.5: the two conventions agree)
    if not THRESHOLD < value < 1:
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
