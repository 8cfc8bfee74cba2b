import torch
from torchvision.models import resnet152


def run(path, img):
    model = resnet152()
    model.load_state_dict(torch.load(path))
    return model(img)
