import logging

import torch

from deploy.models import build_model

log = logging.getLogger(__name__)


def load_model(path, device="cpu"):
    """Restore a training checkpoint and return a model ready for inference/export."""
    ckpt = torch.load(path, map_location="cpu")
    model = build_model(ckpt.get("cfg"))
    model.load_state_dict(ckpt["model"])
    model.eval()
    log.info("loaded %s (val_acc=%.4f)", path, ckpt.get("val_acc", float("nan")))
    return model.to(device)
