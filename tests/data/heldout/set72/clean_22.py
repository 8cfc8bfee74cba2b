"""Quantization-aware fine-tuning of a float checkpoint, then int8 conversion for CPU serving."""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import (DeQuantStub, QuantStub, convert, fuse_modules, fuse_modules_qat,
                                   get_default_qat_qconfig, prepare_qat)
from torch.ao.nn.intrinsic.qat import freeze_bn_stats
from torch.utils.data import DataLoader


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, groups=1):
        super().__init__(nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU())


class DepthwiseSeparable(nn.Sequential):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__(ConvBNReLU(in_ch, in_ch, 3, stride, groups=in_ch), ConvBNReLU(in_ch, out_ch, 1))


class QuantMobileNetV1(nn.Module):
    def __init__(self, num_classes=10, width=32):
        super().__init__()
        cfg = [(width * 2, 1), (width * 4, 2), (width * 4, 1), (width * 8, 2), (width * 8, 1), (width * 16, 2)]
        layers, prev = [ConvBNReLU(3, width, stride=1)], width
        for out_ch, stride in cfg:
            layers.append(DepthwiseSeparable(prev, out_ch, stride))
            prev = out_ch
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(prev, num_classes)

    def forward(self, x):
        x = self.quant(x)
        x = self.fc(torch.flatten(self.pool(self.features(x)), 1))
        return self.dequant(x)

    def fuse_model(self, is_qat: bool = False):
        fuse = fuse_modules_qat if is_qat else fuse_modules
        for m in list(self.modules()):
            if type(m) is ConvBNReLU:
                fuse(m, ["0", "1", "2"], inplace=True)


def train_one_epoch(model, loader, optimizer, device, max_batches=None):
    model.train()
    for i, (x, y) in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader, device="cpu"):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--float-ckpt", required=True)
    parser.add_argument("--data", default="./data")
    parser.add_argument("--qat-epochs", type=int, default=8)
    parser.add_argument("--freeze-bn-epoch", type=int, default=3)
    parser.add_argument("--freeze-observer-epoch", type=int, default=4)
    parser.add_argument("--out", default="mobilenet_int8.pt")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize((0.491, 0.482, 0.447), (0.247, 0.243, 0.261))
    train_set = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=T.Compose(
        [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
    test_set = torchvision.datasets.CIFAR10(args.data, train=False, download=True,
                                            transform=T.Compose([T.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=4)

    model = QuantMobileNetV1()
    model.load_state_dict(torch.load(args.float_ckpt, map_location="cpu"))
    print(f"float accuracy: {evaluate(model, test_loader):.4f}")

    model.train()
    model.fuse_model(is_qat=True)
    model.qconfig = get_default_qat_qconfig("fbgemm")
    prepare_qat(model, inplace=True)
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=4e-5)

    best_acc, best_state = 0.0, None
    for epoch in range(args.qat_epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        if epoch >= args.freeze_observer_epoch:
            model.apply(torch.ao.quantization.disable_observer)
        if epoch >= args.freeze_bn_epoch:
            model.apply(freeze_bn_stats)
        int8_model = copy.deepcopy(model).to("cpu")
        int8_model.eval()
        int8_model = convert(int8_model, inplace=False)
        acc = evaluate(int8_model, test_loader)
        print(f"qat epoch {epoch}: loss {loss:.4f} int8 accuracy {acc:.4f}")
        if acc > best_acc:
            best_acc, best_state = acc, int8_model.state_dict()

    final = copy.deepcopy(model).to("cpu")
    final.eval()
    final = convert(final, inplace=False)
    final.load_state_dict(best_state)
    torch.jit.save(torch.jit.script(final), args.out)
    print(f"saved int8 TorchScript model to {args.out} (accuracy {best_acc:.4f})")


if __name__ == "__main__":
    main()
