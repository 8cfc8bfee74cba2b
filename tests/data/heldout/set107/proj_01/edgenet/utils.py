import logging
import os

import torch

logger = logging.getLogger(__name__)


def load_weights(model, path, strict=True):
    """Load a state dict saved by finetune.py (plain or wrapped in {'model': ...})."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "model" in state:
        state = state["model"]
    result = model.load_state_dict(state, strict=strict)
    logger.info("loaded weights from %s", path)
    return result


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(model, optimizer, epoch, path):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)
