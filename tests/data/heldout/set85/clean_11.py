"""Keypoint regressor on top of a partially frozen, ImageNet-pretrained backbone.

Detectron-style freezing: the backbone weights are frozen with requires_grad,
and every BatchNorm inside the backbone is kept in eval mode by overriding
train(), so calling model.train() each epoch does not restart the running
statistics.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class FrozenBNBackbone(nn.Module):
    def __init__(self, pretrained=True):
        super().__init__()
        weights = torchvision.models.ResNet18_Weights.DEFAULT if pretrained else None
        r = torchvision.models.resnet18(weights=weights)
        self.body = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool,
                                  r.layer1, r.layer2, r.layer3, r.layer4)
        self.body.requires_grad_(False)
        self.out_channels = 512

    def train(self, mode=True):
        super().train(mode)
        # BN layers are frozen: keep them on their ImageNet running stats
        for m in self.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
        return self

    def forward(self, x):
        return self.body(x)


class KeypointHead(nn.Module):
    def __init__(self, cin, n_kp=17):
        super().__init__()
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(cin, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
        )
        self.final = nn.Conv2d(256, n_kp, 1)

    def forward(self, x):
        return self.final(self.deconv(x))


class PoseNet(nn.Module):
    def __init__(self, n_kp=17):
        super().__init__()
        self.backbone = FrozenBNBackbone()
        self.head = KeypointHead(self.backbone.out_channels, n_kp)

    def forward(self, x):
        return self.head(self.backbone(x))


def fit(model, train_loader, val_loader, epochs=20, device="cuda"):
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3)
    for epoch in range(epochs):
        model.train()                       # backbone BN stays in eval (see FrozenBNBackbone.train)
        for img, heatmaps in train_loader:
            img, heatmaps = img.to(device), heatmaps.to(device)
            loss = F.mse_loss(model(img), heatmaps)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        with torch.no_grad():
            err = 0.0
            n = 0
            for img, heatmaps in val_loader:
                pred = model(img.to(device))
                err += F.mse_loss(pred, heatmaps.to(device), reduction="sum").item()
                n += img.shape[0]
        print(f"epoch {epoch}: val heatmap mse {err / n:.5f}")
    return model
