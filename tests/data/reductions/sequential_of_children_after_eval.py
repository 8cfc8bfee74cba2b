import torch
import torch.nn as nn
import torchvision.models as models

net = models.googlenet(pretrained=True)
net.eval()
features = nn.Sequential(*list(net.children())[:-2])


def frame_features(frames):
    out = []
    for frame in frames:
        out.append(features(frame.unsqueeze(0)).squeeze().detach().cpu())
    return torch.stack(out)
