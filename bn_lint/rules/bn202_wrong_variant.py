"""BN202 wrong-variant."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.shapes.checks import verdicts


class WrongVariant(Rule):
    code = "BN202"
    name = "wrong-variant"
    severity = Severity.ERROR
    fixable = True
    summary = "The BatchNorm variant (1d/2d/3d) does not fit the rank of its input."
    what = """
        Flags a BatchNorm whose input has a rank the variant does not take, where the rank is
        known from the code: `BatchNorm1d` after a `Conv2d`, `BatchNorm2d` after `Linear`,
        `Flatten`, `x.view(n, -1)` or a `Conv1d`, `BatchNorm3d` after a `Conv2d`, or a tensor of
        known rank (`torch.randn(10, 3)`). The producer is found as for BN201, also through
        `self.head.add_module(...)` on an `nn.Sequential()` attribute and blocks appended in a
        loop (a `BatchNorm2d` added after the 5-D stages of a 3-D network); group-equivariant
        convolutions (GrouPy `P4ConvP4`) give 5-D (N, C, G, H, W) tensors.
    """
    why = """
        `BatchNorm1d` takes (N, C) or (N, C, L), `BatchNorm2d` (N, C, H, W), `BatchNorm3d`
        (N, C, D, H, W). The wrong variant raises "expected 4D input (got 2D input)" at the first
        forward pass of that branch.
    """
    example = """
        nn.Sequential(nn.Linear(128, 64), nn.BatchNorm2d(64))  # Linear gives (N, 64)
    """
    fix_docs = """
        Use the variant for the rank. `--fix` renames `nn.BatchNormXd` when the rank is certain.
    """
    use_instead = """
        nn.Sequential(nn.Linear(128, 64), nn.BatchNorm1d(64))  # (N, 64): BatchNorm1d
    """
    references = (
        ('`torch.nn.BatchNorm1d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html'),
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('`torch.nn.BatchNorm3d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm3d.html'),
    )
    triggers = ("BatchNorm",)
    invalid = (
        Invalid(  # an nn.Sequential() attribute assembled with add_module: BatchNorm2d after a Linear
            """
            import torch.nn as nn

            class DANN(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.classifier = nn.Sequential()
                    self.classifier.add_module("fc1", nn.Linear(128, 100))
                    self.classifier.add_module("bn1", nn.BatchNorm2d(100))
                    self.classifier.add_module("relu1", nn.ReLU(True))

                def forward(self, x):
                    return self.classifier(x.view(x.size(0), -1))
            """,
            line=8,
        ),
        Invalid(  # a 3-D network whose stages are appended in a loop, closed by a 2-D norm
            """
            import torch.nn as nn

            class DenseNet3d(nn.Module):
                def __init__(self, block_config=(6, 12, 24, 16), width=64):
                    super().__init__()
                    self.features = nn.Sequential(nn.Conv3d(3, width, 7, bias=False), nn.BatchNorm3d(width), nn.ReLU())
                    for i, n in enumerate(block_config):
                        self.features.add_module("pool%d" % i, nn.Sequential(nn.Conv3d(width, width, 1), nn.AvgPool3d(2)))
                    self.features.add_module("norm5", nn.BatchNorm2d(width))
            """,
            line=9,
        ),
        Invalid(  # P4 group convolutions give (N, C, 4, H, W)
            """
            import torch.nn as nn
            from groupy.gconv.pytorch_gconv import P4ConvZ2

            class Stem(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = P4ConvZ2(3, 16, kernel_size=3, padding=1, bias=False)
                    self.bn = nn.BatchNorm2d(16)

                def forward(self, x):
                    return self.bn(self.conv(x))
            """,
            line=8,
        ),
        Invalid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm1d(16))\n", line=2),
        Invalid("import torch.nn as nn\nhead = nn.Sequential(nn.Flatten(), nn.Linear(512, 64), nn.BatchNorm2d(64))\n", line=2),
        Invalid(
            """
            import torch
            import torch.nn as nn

            bn = nn.BatchNorm2d(3)
            out = bn(torch.randn(10, 3))
            """,
            line=4,
        ),
        Invalid(  # heads built in a dict comprehension inside `nn.ModuleDict`
            """
            import torch.nn as nn


            class MultiTask(nn.Module):
                def __init__(self, tasks):
                    super().__init__()
                    self.heads = nn.ModuleDict({
                        name: nn.Sequential(nn.Conv2d(128, 64, 1, bias=False), nn.BatchNorm3d(64), nn.ReLU(), nn.Flatten())
                        for name in tasks
                    })
            """,
            line=8,
        ),
        Invalid(  # the head built by a lambda
            """
            import torch.nn as nn

            head = lambda n_cls: nn.Sequential(nn.Flatten(), nn.Linear(4096, 512, bias=False), nn.BatchNorm2d(512))
            """,
            line=3,
        ),
        Invalid(  # a 3-D DenseNet: a Sequential subclass's forward runs its own layers (super().forward(x)) and
            # concatenates; the final norm added to the features is the 2-D variant
            """
            import torch
            import torch.nn as nn

            class _DenseLayer(nn.Sequential):
                def __init__(self, c, growth):
                    super().__init__()
                    self.add_module("norm1", nn.BatchNorm3d(c))
                    self.add_module("conv1", nn.Conv3d(c, growth, 3, padding=1, bias=False))

                def forward(self, x):
                    return torch.cat([x, super().forward(x)], 1)

            class DenseNet(nn.Module):
                def __init__(self, c=64, growth=32):
                    super().__init__()
                    self.features = nn.Sequential(nn.Conv3d(3, c, 7, bias=False), nn.BatchNorm3d(c))
                    self.features.add_module("block", _DenseLayer(c, growth))
                    self.features.add_module("norm5", nn.BatchNorm2d(c + growth))

                def forward(self, x):
                    return self.features(x)
            """,
            line=18,
        ),
    )
    valid = (
        Valid(  # the 3-D network closed by a 3-D norm; add_module after a Conv1d into BatchNorm1d
            """
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, block_config=(6, 12), width=64):
                    super().__init__()
                    self.features = nn.Sequential(nn.Conv3d(3, width, 7, bias=False), nn.BatchNorm3d(width))
                    for i, n in enumerate(block_config):
                        self.features.add_module("pool%d" % i, nn.Sequential(nn.Conv3d(width, width, 1), nn.AvgPool3d(2)))
                    self.features.add_module("norm5", nn.BatchNorm3d(width))
                    self.temporal = nn.Sequential()
                    self.temporal.add_module("conv", nn.Conv1d(width, width, 3, bias=False))
                    self.temporal.add_module("bn", nn.BatchNorm1d(width))
            """
        ),
        Valid(  # P4 group convolutions with BatchNorm3d over (N, C, G, H, W)
            """
            import torch.nn as nn
            from groupy.gconv.pytorch_gconv import P4ConvP4

            class Block(nn.Module):
                def __init__(self, planes):
                    super().__init__()
                    self.conv = P4ConvP4(planes, planes, kernel_size=3, padding=1, bias=False)
                    self.bn = nn.BatchNorm3d(planes)

                def forward(self, x):
                    return self.bn(self.conv(x))
            """
        ),
        Valid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv1d(3, 16, 3), nn.BatchNorm1d(16))\n"),
        Valid("import torch.nn as nn\nhead = nn.Sequential(nn.Flatten(), nn.Linear(512, 64), nn.BatchNorm1d(64))\n"),
        Valid(
            """
            import torch.nn as nn

            class Head(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(64, 32, 1)
                    self.bn = nn.BatchNorm1d(32)

                def forward(self, x):
                    x = self.conv(x).flatten(2)
                    return self.bn(x)
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for verdict in model.analysis(verdicts):
            if verdict.code == self.code:
                yield Report(verdict.node, verdict.message, fix=verdict.fix)
