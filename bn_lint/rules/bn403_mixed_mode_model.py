"""BN403 mixed-mode-model (runtime tracer only)."""
from __future__ import annotations

from ..finding import Severity
from ..rule import Rule


class MixedModeModel(Rule):
    code = "BN403"
    name = "mixed-mode-model"
    severity = Severity.WARNING
    runtime_only = True
    summary = "One model call ran some BatchNorm layers in training mode and others in eval mode."
    what = """
        `bn-lint trace` groups the BatchNorm calls of each top-level module call. When both modes occur
        in one call, the first eval-mode layer is reported. Stated freezing is not a finding: the
        eval-mode layers' parameters are frozen too (`requires_grad=False`), or a module of the model
        overrides `train()` to manage the modes (e.g. a `norm_eval` option).
    """
    why = """
        A submodule left in eval mode (after feature extraction, a validation helper, a partial
        `.eval()`) trains with frozen statistics while the rest of the model adapts; the reverse
        leaves some layers updating their statistics during evaluation.
    """
    example = """
        net.backbone.eval()
        features = net.backbone(images)
        for batch in loader:
            loss = criterion(net(batch), target)  # net.train() forgotten: the backbone is in eval mode
    """
    fix_docs = """
        Call `model.train()` at the start of each training epoch and `model.eval()` before evaluation.
        To freeze BatchNorm on purpose, also freeze its parameters or override `train()`.
    """
    references = (
        ('`torch.nn.Module.train` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train'),
        ('`torch.nn.Module.eval` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval'),
    )
