import torch.nn as nn


class EncoderBase(nn.Module):
    def __init__(self, resnet_builder, layers=("layer1", "layer2", "layer3")):
        super().__init__()
        self.resnet = resnet_builder(pretrained=True)
        self.layers = layers

    def forward(self, x):
        feats = []
        x = self.resnet.maxpool(self.resnet.relu(self.resnet.bn1(self.resnet.conv1(x))))
        for name in self.layers:
            x = getattr(self.resnet, name)(x)
            feats.append(x)
        return feats
