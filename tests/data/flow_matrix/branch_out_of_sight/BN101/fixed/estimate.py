import torch

from nets import KeypointNet


def estimate(model, frames, registry):
    if model == "keypointnet":
        model = KeypointNet()
        model.load_state_dict(torch.load("keypointnet.pt"))
    else:
        model = registry.fetch(model).fuse()
    model.eval()
    heatmaps = []
    with torch.no_grad():
        for frame in frames:
            heatmaps.append(model(frame[None]).argmax(1))
    return heatmaps
