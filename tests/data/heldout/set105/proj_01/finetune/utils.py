import json
import logging
import os

import torch

logger = logging.getLogger(__name__)


def freeze_backbone(model):
    """Warm-up phase: only the new head is trained."""
    model.backbone.requires_grad_(False)  # expect: BN105
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info("backbone frozen, %d trainable params", n)


def unfreeze_backbone(model):
    model.backbone.requires_grad_(True)
    logger.info("backbone unfrozen")


def save_checkpoint(model, optimizer, epoch, metrics, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, os.path.join(out_dir, "last.pth"))
    with open(os.path.join(out_dir, "metrics.jsonl"), "a") as fh:
        fh.write(json.dumps({"epoch": epoch, **metrics}) + "\n")
