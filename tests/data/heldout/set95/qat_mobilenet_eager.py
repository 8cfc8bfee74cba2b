"""Quantization-aware training (eager mode) for a small MobileNetV2-style net.

Workflow (PyTorch eager-mode QAT tutorial):
  1. fuse conv+bn(+relu) with ``fuse_modules_qat`` -- QAT fusion is done in
     *training* mode, BN is kept and folded during fake-quant training;
  2. ``prepare_qat``, train a few epochs; after a few epochs freeze the BN
     statistics and the observers;
  3. ``model.eval()`` then ``convert`` to a real int8 model.
A post-training (PTQ) path is included as baseline: there fusion uses
``fuse_modules`` on an eval-mode model.
"""
import copy

import torch
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, groups=1, relu=True):
        layers = [nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(out_ch, momentum=0.01)]
        if relu:
            layers.append(nn.ReLU(inplace=False))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, in_ch, out_ch, stride, expand):
        super().__init__()
        hidden = in_ch * expand
        self.use_res = stride == 1 and in_ch == out_ch
        self.conv = nn.Sequential(
            ConvBNReLU(in_ch, hidden, 1),
            ConvBNReLU(hidden, hidden, 3, stride, groups=hidden),
            ConvBNReLU(hidden, out_ch, 1, relu=False),
        )
        self.skip_add = nn.quantized.FloatFunctional()

    def forward(self, x):
        return self.skip_add.add(x, self.conv(x)) if self.use_res else self.conv(x)


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        cfg = [(16, 1, 1), (24, 2, 6), (32, 2, 6), (64, 2, 6), (96, 1, 6)]
        layers, in_ch = [ConvBNReLU(3, 32, 3, 1)], 32
        for out_ch, stride, expand in cfg:
            layers.append(InvertedResidual(in_ch, out_ch, stride, expand))
            in_ch = out_ch
        layers.append(ConvBNReLU(in_ch, 320, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(320, num_classes)
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()

    def forward(self, x):
        x = self.features(self.quant(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.dequant(self.classifier(x))

    def fusion_groups(self):
        groups = []
        for name, m in self.named_modules():
            if isinstance(m, ConvBNReLU):
                groups.append([f"{name}.0", f"{name}.1", f"{name}.2"] if len(m) == 3
                              else [f"{name}.0", f"{name}.1"])
        return groups


def train_one_epoch(model, loader, opt, device):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def evaluate(model, loader, device="cpu"):
    model.eval()
    correct = n = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += y.numel()
    return correct / n


def quantize_ptq(float_model, calib_loader):
    model = copy.deepcopy(float_model).cpu()
    model.eval()
    model = tq.fuse_modules(model, model.fusion_groups())
    model.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i, (x, _) in enumerate(calib_loader):  # observers only, model is in eval
            model(x)
            if i == 31:
                break
    return tq.convert(model)


def quantize_qat(float_model, train_loader, test_loader, epochs=8, device="cuda"):
    model = copy.deepcopy(float_model)
    model.train()
    model = tq.fuse_modules_qat(model, model.fusion_groups())
    model.qconfig = tq.get_default_qat_qconfig("x86")
    tq.prepare_qat(model, inplace=True)
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    for epoch in range(epochs):
        train_one_epoch(model, train_loader, opt, device)
        if epoch >= 3:
            model.apply(tq.disable_observer)
        if epoch >= 2:
            model.apply(nniqat.freeze_bn_stats)
        acc = evaluate(model, test_loader, device)
        print(f"QAT epoch {epoch}: fake-quant acc {100 * acc:.2f}%")
    model.cpu()
    model.eval()
    return tq.convert(model)


def main():
    tf = transforms.Compose([transforms.ToTensor(),
                             transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    train = datasets.CIFAR10("data", train=True, download=True, transform=tf)
    test = datasets.CIFAR10("data", train=False, download=True, transform=tf)
    train_loader = DataLoader(train, batch_size=128, shuffle=True, drop_last=True, num_workers=4)
    test_loader = DataLoader(test, batch_size=256, num_workers=4)

    float_model = TinyMobileNet()
    float_model.load_state_dict(torch.load("tiny_mobilenet_fp32.pt", map_location="cpu"))
    int8_ptq = quantize_ptq(float_model, train_loader)
    print(f"PTQ int8 acc {100 * evaluate(int8_ptq, test_loader):.2f}%")
    int8_qat = quantize_qat(float_model, train_loader, test_loader)
    print(f"QAT int8 acc {100 * evaluate(int8_qat, test_loader):.2f}%")
    torch.jit.save(torch.jit.script(int8_qat), "tiny_mobilenet_int8.pt")


if __name__ == "__main__":
    main()
