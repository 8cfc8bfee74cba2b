"""BN202 wrong-variant."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from ..semantic.model import FileModel, Report


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
        known rank (`torch.randn(10, 3)`). The producer is found as for BN201.
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
    triggers = ("BatchNorm",)
    invalid = (
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
    )
    valid = (
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
        for verdict in model.chain_verdicts:
            if verdict.code == self.code:
                yield Report(verdict.node, verdict.message, fix=verdict.fix)
