"""MobileNetV1 (alpha=0.75) ported from tf-slim, trained then statically quantized for ARM.

tf-slim arg scope: batch_norm_decay=0.9997, batch_norm_epsilon=0.001.
slim's decay is the weight of the old running value -> torch momentum = 1 - decay.
ReLU6 is replaced by ReLU so conv+bn+relu can be fused by torch.ao.quantization.
"""
import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

SLIM_BN_DECAY = 0.9997
SLIM_BN_EPS = 0.001
ALPHA = 0.75

# (stride, out_channels) of the 13 depthwise-separable layers, before the width multiplier
CONV_DEFS = [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
             (1, 512), (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024)]


def depth(c):
    return max(8, int(c * ALPHA))


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=SLIM_BN_EPS, momentum=1 - SLIM_BN_DECAY),
            nn.ReLU(inplace=False),
        )


class MobileNetV1(nn.Module):
    def __init__(self, num_classes=101):
        super().__init__()
        self.quant = tq.QuantStub()
        layers = [ConvBNReLU(3, depth(32), 3, stride=2)]
        in_ch = depth(32)
        for stride, out in CONV_DEFS:
            out = depth(out)
            layers.append(ConvBNReLU(in_ch, in_ch, 3, stride, groups=in_ch))   # depthwise
            layers.append(ConvBNReLU(in_ch, out, 1))                           # pointwise
            in_ch = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.001)
        self.logits = nn.Linear(in_ch, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.features(self.quant(x))
        x = self.logits(self.dropout(torch.flatten(self.pool(x), 1)))
        return self.dequant(x)

    def fuse_model(self):
        for m in self.features:
            tq.fuse_modules(m, ["0", "1", "2"], inplace=True)


def evaluate(model, loader, max_batches=None):
    model.eval()
    hits = n = 0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            hits += (model(x).argmax(1) == y).sum().item()
            n += y.numel()
    return hits / max(n, 1)


def main():
    norm = transforms.Normalize([0.5] * 3, [0.5] * 3)        # slim "inception" preprocessing
    train_set = datasets.Food101("data", split="train", download=True, transform=transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.Food101("data", split="test", transform=transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=96, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=8)

    device = torch.device("cuda")
    model = MobileNetV1().to(device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.045, alpha=0.9, momentum=0.9, eps=1.0)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.98)
    for epoch in range(60):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device), label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    torch.save(model.state_dict(), "mobilenet_v1_075_food101.pt")

    # ---- post-training static quantization (CPU) ----------------------
    model = model.cpu()
    model.eval()
    model.fuse_model()
    model.qconfig = tq.get_default_qconfig("qnnpack")
    torch.backends.quantized.engine = "qnnpack"
    tq.prepare(model, inplace=True)
    evaluate(model, val_loader, max_batches=20)              # calibration
    tq.convert(model, inplace=True)
    print(f"int8 top-1: {evaluate(model, val_loader):.4f}")
    torch.jit.save(torch.jit.script(model), "mobilenet_v1_075_int8.pt")


if __name__ == "__main__":
    main()
