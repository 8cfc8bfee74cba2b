import torch

from models import Net


def load_model(model_path, device):
    model = Net()
    model.load_state_dict(torch.load(model_path))
    return model.to(device)
