"""Unsupervised domain adaptation SVHN -> MNIST with AdaBN.

AdaBN (Li et al., 2016): train on the labelled source domain, then replace
every BN layer's statistics by statistics of the *target* domain. The BN
layers use ``momentum=None`` (cumulative average) so one pass over the target
data gives exact target means/variances.

Also provides prediction-time BN (Nado et al., 2020) as a baseline: the BN
layers normalise each test batch with that batch's own statistics.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class DigitNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 5, padding=2, bias=False),
            nn.BatchNorm2d(64, momentum=None),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 5, padding=2, bias=False),
            nn.BatchNorm2d(128, momentum=None),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 5, padding=2, bias=False),
            nn.BatchNorm2d(256, momentum=None),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(256 * 8 * 8, 512, bias=False),
            nn.BatchNorm1d(512, momentum=None),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def bn_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def train_source(model, loader, epochs, device):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        # source BN statistics restart every epoch (cumulative average otherwise
        # weighs the first, badly trained epochs as much as the last one)
        if epoch < epochs - 1:
            for bn in bn_layers(model):
                bn.reset_running_stats()


@torch.no_grad()
def adabn_adapt(model, target_loader, device):
    """AdaBN: re-estimate BN statistics on unlabelled target data.

    The forward passes run in train mode on purpose: that is how the BN layers
    accumulate the target statistics. Labels are not used, outputs discarded.
    The model is returned in eval mode, ready for evaluation.
    """
    for bn in bn_layers(model):
        bn.reset_running_stats()
    model.train()
    for x, _ in target_loader:
        model(x.to(device))
    model.eval()
    return model


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        total += y.numel()
    return correct / total


@torch.no_grad()
def accuracy_with_test_batch_stats(model, loader, device):
    """Prediction-time BN baseline: every test batch is normalised with its own stats.

    BN layers are deliberately kept in training mode during this evaluation.
    track_running_stats is switched off meanwhile so that the stored running
    averages are neither used nor modified; everything is restored afterwards.
    """
    layers = bn_layers(model)
    for bn in layers:
        bn.track_running_stats = False
    model.train()  # deliberate: test-batch statistics, see docstring
    correct = total = 0
    try:
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
    finally:
        for bn in layers:
            bn.track_running_stats = True
        model.eval()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    to_rgb32 = transforms.Compose([
        transforms.Resize(32), transforms.Grayscale(3), transforms.ToTensor(),
        transforms.Normalize([0.5] * 3, [0.5] * 3)])
    svhn_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    source = datasets.SVHN("data", split="train", download=True, transform=svhn_tf)
    target_train = datasets.MNIST("data", train=True, download=True, transform=to_rgb32)
    target_test = datasets.MNIST("data", train=False, download=True, transform=to_rgb32)

    source_loader = DataLoader(source, batch_size=args.batch_size, shuffle=True,
                               drop_last=True, num_workers=4)
    target_loader = DataLoader(target_train, batch_size=256, shuffle=True, num_workers=4)
    test_loader = DataLoader(target_test, batch_size=256, num_workers=4)

    model = DigitNet().to(device)
    train_source(model, source_loader, args.epochs, device)
    print(f"source-only   : {100 * evaluate(model, test_loader, device):.2f}%")
    print(f"test-batch BN : {100 * accuracy_with_test_batch_stats(model, test_loader, device):.2f}%")
    adabn_adapt(model, target_loader, device)
    print(f"AdaBN         : {100 * evaluate(model, test_loader, device):.2f}%")
    torch.save(model.state_dict(), "digitnet_adabn.pt")


if __name__ == "__main__":
    main()
