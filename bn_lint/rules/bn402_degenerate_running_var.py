"""BN402 degenerate-running-var (runtime tracer only)."""
from __future__ import annotations

from ..finding import Severity
from ..rule import Rule


class DegenerateRunningVar(Rule):
    code = "BN402"
    name = "degenerate-running-var"
    severity = Severity.WARNING
    runtime_only = True
    summary = "running_var collapsed (about 0) or exploded for some channels at the end of a traced run."
    what = """
        At the end of a traced run, a channel whose `running_var` is below 1e-12 (collapsed) or above
        1e8 (exploded) is reported, with the number of such channels, at the line that built the layer.
    """
    why = """
        In eval mode the layer divides by `sqrt(running_var + eps)`. A collapsed variance amplifies any
        deviation by up to `1/sqrt(eps)`; an exploded one (unscaled inputs such as raw pixel or sensor
        values) squashes the channel to its mean. Either way evaluation differs from training.
    """
    example = """
        model = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 1))
        model(torch.randn(64, 3) * 1e5)  # raw, unscaled features
    """
    fix_docs = "Normalise the inputs before the network; look for dead or constant channels."
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
    )
