import torch

from models.net import Net


def build_seg_model(checkpoint_path=None):
    model = Net()
    if checkpoint_path is not None:
        load_model_from_checkpoint(checkpoint_path, model)
    return model


def load_model_from_checkpoint(ckpt, model):
    model.load_state_dict(torch.load(ckpt)["model"])
    return model
