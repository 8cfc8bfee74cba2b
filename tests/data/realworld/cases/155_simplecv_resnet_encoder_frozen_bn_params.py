import torch.nn as nn
from torchvision.models import resnet


def freeze_params(module):
    for name, p in module.named_parameters():
        p.requires_grad = False


def freeze_modules(module, specific_class=None):
    for m in module.modules():
        if specific_class is not None:
            if not isinstance(m, specific_class):
                continue
        freeze_params(m)


class ResNetEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = dict(resnet_type="resnet50", batchnorm_trainable=True, pretrained=False, freeze_at=0)
        self.config.update(config)
        self.resnet = getattr(resnet, self.config["resnet_type"])(pretrained=self.config["pretrained"])
        if not self.config["batchnorm_trainable"]:
            self._frozen_res_bn()
        self._freeze_at(at=self.config["freeze_at"])

    def _frozen_res_bn(self):
        freeze_modules(self.resnet, nn.BatchNorm2d)

    def _freeze_at(self, at=2):
        if at >= 1:
            freeze_params(self.resnet.conv1)
            freeze_params(self.resnet.bn1)
        if at >= 2:
            freeze_params(self.resnet.layer1)

    def forward(self, x):
        x = self.resnet.maxpool(self.resnet.relu(self.resnet.bn1(self.resnet.conv1(x))))
        c2 = self.resnet.layer1(x)
        c3 = self.resnet.layer2(c2)
        return c2, c3, self.resnet.layer3(c3)


def train(encoder, head, loader, optimizer, epochs):
    for epoch in range(epochs):
        encoder.train()
        head.train()
        for img, target in loader:
            loss = nn.functional.cross_entropy(head(encoder(img)[-1]), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    encoder = ResNetEncoder(dict(resnet_type="resnet50", batchnorm_trainable=False, pretrained=True, freeze_at=2))
