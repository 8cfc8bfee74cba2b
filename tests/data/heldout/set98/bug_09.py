"""EfficientNet-B0 product-embedding model, ported from the TF/Keras reference.

Constants mirror efficientnet_model.py (batch_norm_momentum=0.99,
batch_norm_epsilon=1e-3). After training the model is fused and scripted for
the Android app.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

BATCH_NORM_MOMENTUM = 0.99
BATCH_NORM_EPSILON = 1e-3
EMBED_DIM = 512
NUM_PRODUCTS = 3000

# expand_ratio, out_channels, repeats, stride, kernel
BLOCKS_ARGS = [
    (1, 16, 1, 1, 3),
    (6, 24, 2, 2, 3),
    (6, 40, 2, 2, 5),
    (6, 80, 3, 2, 3),
    (6, 112, 3, 1, 5),
    (6, 192, 4, 2, 5),
    (6, 320, 1, 1, 3),
]


class ConvBNAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size=3, stride=1, groups=1, act=True):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2,
                      groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM),  # expect: BN205
            nn.SiLU(inplace=True) if act else nn.Identity(),
        )


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeeze_channels):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.expand(F.silu(self.reduce(s))))
        return x * s


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand_ratio, stride, kernel_size, se_ratio=0.25):
        super().__init__()
        hidden = in_ch * expand_ratio
        self.use_residual = stride == 1 and in_ch == out_ch
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_ch, hidden, 1))
        layers.append(ConvBNAct(hidden, hidden, kernel_size, stride, groups=hidden))
        layers.append(SqueezeExcite(hidden, max(1, int(in_ch * se_ratio))))
        layers.append(ConvBNAct(hidden, out_ch, 1, act=False))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_residual else out


class EfficientNetB0Embed(nn.Module):
    def __init__(self, num_classes=NUM_PRODUCTS):
        super().__init__()
        self.stem = ConvBNAct(3, 32, 3, stride=2)
        blocks, in_ch = [], 32
        for expand, out_ch, repeats, stride, k in BLOCKS_ARGS:
            for i in range(repeats):
                blocks.append(MBConv(in_ch, out_ch, expand, stride if i == 0 else 1, k))
                in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.top = ConvBNAct(in_ch, 1280, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.neck = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(1280, EMBED_DIM, bias=False),
            nn.BatchNorm1d(1280),  # expect: BN201
        )
        self.classifier = nn.Linear(EMBED_DIM, num_classes)

    def embed(self, x):
        return F.normalize(self.neck(self.pool(self.top(self.blocks(self.stem(x))))), dim=1)

    def forward(self, x):
        return self.classifier(self.embed(x))


def train(model, loader, epochs, device):
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.016, alpha=0.9, eps=1e-3,
                                    momentum=0.9, weight_decay=1e-5)
    steps = epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    model.train()
    for epoch in range(epochs):
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


def main():
    device = torch.device("cuda")
    tf = transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    loader = DataLoader(datasets.ImageFolder("products/train", tf), batch_size=96,
                        shuffle=True, num_workers=8, drop_last=True)
    model = EfficientNetB0Embed().to(device)
    train(model, loader, epochs=40, device=device)
    torch.save(model.state_dict(), "effnet_b0_embed.pt")

    # --- mobile export -------------------------------------------------
    model = model.cpu()
    torch.ao.quantization.fuse_modules(model, [["stem.0", "stem.1"], ["top.0", "top.1"]], inplace=True)  # expect: BN104
    model.eval()
    scripted = torch.jit.script(model)
    scripted.save("effnet_b0_embed_mobile.pt")


if __name__ == "__main__":
    main()
