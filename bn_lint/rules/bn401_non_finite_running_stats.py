"""BN401 non-finite-running-stats (runtime tracer only)."""
from __future__ import annotations

from ..finding import Severity
from ..rule import Rule


class NonFiniteRunningStats(Rule):
    code = "BN401"
    name = "non-finite-running-stats"
    severity = Severity.ERROR
    runtime_only = True
    summary = "running_mean/running_var hold NaN or Inf at the end of a traced run."
    what = """
        `bn-lint trace` checks every BatchNorm layer it saw, once at the end of the run: a NaN or
        Inf in `running_mean` or `running_var` is reported at the line that built the layer.
    """
    why = """
        One batch with a non-finite value (a `log(0)`, a division by zero, an fp16 overflow)
        poisons the running statistics for good: every later evaluation of the model gives NaN,
        even after training recovers.
    """
    example = """
        norm = nn.BatchNorm1d(4)
        batch[3, 2] = float("inf")
        norm(batch)  # running_mean and running_var are now NaN/Inf
    """
    fix_docs = """
        Find where the non-finite values come from (`torch.autograd.set_detect_anomaly`, checks on the
        inputs); skip or clean such batches; reset the statistics with `reset_running_stats()`.
    """
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('Anomaly detection, `torch.autograd.set_detect_anomaly` (PyTorch docs)',
         'https://pytorch.org/docs/stable/autograd.html#anomaly-detection'),
    )
