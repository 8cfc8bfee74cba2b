"""CIFAR-10 VGG-ish network, ported from the Chainer example (train_cifar.py).

Chainer reference:
    self.bn = L.BatchNormalization(out_ch, 0.9)          # (size, decay, eps)
    trainer.extend(extensions.Evaluator(test_iter, model, device=device))
The Evaluator extension ran under chainer.using_config('train', False).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNReLU(nn.Module):
    def __init__(self, in_ch, out_ch, ksize=3, stride=1, pad=1):
        super().__init__()
        # L.Convolution2D(in_ch, out_ch, ksize, stride, pad, nobias=True)
        self.conv = nn.Conv2d(in_ch, out_ch, ksize, stride, pad, bias=False)
        # L.BatchNormalization(out_ch, 0.9)
        self.bn = nn.BatchNorm2d(out_ch, 0.9)  # expect: BN206

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class VGGChainer(nn.Module):
    def __init__(self, n_class=10):
        super().__init__()
        self.block1 = nn.Sequential(ConvBNReLU(3, 64), ConvBNReLU(64, 64))
        self.block2 = nn.Sequential(ConvBNReLU(64, 128), ConvBNReLU(128, 128))
        self.block3 = nn.Sequential(ConvBNReLU(128, 256), ConvBNReLU(256, 256), ConvBNReLU(256, 256))
        self.block4 = nn.Sequential(ConvBNReLU(256, 512), ConvBNReLU(512, 512), ConvBNReLU(512, 512))
        self.fc1 = nn.Linear(512 * 2 * 2, 512)
        self.fc2 = nn.Linear(512, n_class)

    def forward(self, x):
        h = F.max_pool2d(self.block1(x), 2)
        h = F.dropout(F.max_pool2d(self.block2(h), 2), 0.25, self.training)
        h = F.dropout(F.max_pool2d(self.block3(h), 2), 0.25, self.training)
        h = F.dropout(F.max_pool2d(self.block4(h), 2), 0.25, self.training)
        h = F.dropout(F.relu(self.fc1(h.flatten(1))), 0.5, self.training)
        return self.fc2(h)


def run_evaluator(model, loader, device):
    """Same report keys as chainer.training.extensions.Evaluator."""
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, t in loader:
            x, t = x.to(device), t.to(device)
            y = model(x)
            loss_sum += F.cross_entropy(y, t, reduction="sum").item()
            correct += (y.argmax(1) == t).sum().item()
            n += t.numel()
    return {"validation/main/loss": loss_sum / n, "validation/main/accuracy": correct / n}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batchsize", "-b", type=int, default=64)
    parser.add_argument("--learnrate", "-l", type=float, default=0.05)
    parser.add_argument("--epoch", "-e", type=int, default=300)
    parser.add_argument("--device", "-d", default="cuda")
    args = parser.parse_args()

    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    train = datasets.CIFAR10(".", train=True, download=True, transform=transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(mean, std)]))
    test = datasets.CIFAR10(".", train=False, download=True, transform=transforms.Compose([
        transforms.ToTensor(), transforms.Normalize(mean, std)]))
    # SerialIterator(train, batchsize) / SerialIterator(test, batchsize, repeat=False, shuffle=False)
    train_iter = DataLoader(train, batch_size=args.batchsize, shuffle=True, num_workers=4)
    test_iter = DataLoader(test, batch_size=args.batchsize, shuffle=False, num_workers=4)

    device = torch.device(args.device)
    model = VGGChainer(n_class=10).to(device)
    # chainer.optimizers.MomentumSGD(lr) + WeightDecay(5e-4)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learnrate, momentum=0.9, weight_decay=5e-4)
    # ExponentialShift('lr', 0.5) every 25 epochs
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=25, gamma=0.5)

    model.train()
    for epoch in range(1, args.epoch + 1):
        for iteration, (x, t) in enumerate(train_iter):
            x, t = x.to(device), t.to(device)
            loss = F.cross_entropy(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if iteration % 100 == 0:
                print(f"epoch {epoch} iter {iteration} main/loss {loss.item():.4f}")
        scheduler.step()
        report = run_evaluator(model, test_iter, device)  # expect: BN103
        print(f"epoch {epoch} " + " ".join(f"{k}={v:.4f}" for k, v in report.items()))

    torch.save(model.state_dict(), "vgg_cifar_chainer_port.pt")


if __name__ == "__main__":
    main()
