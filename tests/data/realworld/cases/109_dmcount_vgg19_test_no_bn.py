import argparse

import torch
import torch.nn as nn
from torch.nn import functional as F

cfg = {"E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]}


def make_layers(cfg, batch_norm=False):
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.features = features
        self.reg_layer = nn.Sequential(nn.Conv2d(512, 256, 3, padding=1), nn.ReLU(inplace=True))
        self.density_layer = nn.Sequential(nn.Conv2d(256, 1, 1), nn.ReLU())

    def forward(self, x):
        x = F.interpolate(self.features(x), scale_factor=2)
        mu = self.density_layer(self.reg_layer(x))
        mu_normed = mu / (mu.sum(dim=(1, 2, 3), keepdim=True) + 1e-6)
        return mu, mu_normed


def vgg19():
    return VGG(make_layers(cfg["E"]))


parser = argparse.ArgumentParser(description="Test ")
parser.add_argument("--model-path", type=str, default="pretrained_models/model_qnrf.pth")
parser.add_argument("--device", default="0")
args = parser.parse_args()

if __name__ == "__main__":
    device = torch.device("cuda")
    dataloader = torch.utils.data.DataLoader(torch.load("qnrf_val.pt"), 1, shuffle=False)
    model = vgg19()
    model.to(device)
    model.load_state_dict(torch.load(args.model_path, device))
    image_errs = []
    for inputs, count, name in dataloader:
        inputs = inputs.to(device)
        assert inputs.size(0) == 1, "the batch size should equal to 1"
        with torch.set_grad_enabled(False):
            outputs, _ = model(inputs)
        image_errs.append(count[0].item() - torch.sum(outputs).item())
    mae = sum(abs(e) for e in image_errs) / len(image_errs)
    print("{}: mae {}".format(args.model_path, mae))
