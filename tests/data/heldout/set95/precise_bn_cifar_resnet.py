"""CIFAR ResNet-20 training with "precise BN" before every evaluation.

EMA running statistics lag behind the weights at the end of an epoch,
especially with a large learning rate. Before each evaluation we recompute
them exactly (Wu & Johnson, "Rethinking Batch in BatchNorm", 2021): reset the
buffers, switch momentum to None (cumulative average) and run a couple of
hundred training batches through the network in train mode, without grads.
"""
import argparse
import functools
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# TF-style hyper-parameters: decay 0.97 -> PyTorch momentum 0.03
Norm = functools.partial(nn.BatchNorm2d, eps=1e-3, momentum=0.03)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = Norm(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = Norm(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes * self.expansion, 1, stride, bias=False),
                Norm(planes * self.expansion),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth=20, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = Norm(16)
        layers, in_planes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(BasicBlock(in_planes, planes, stride if i == 0 else 1))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


@torch.no_grad()
def update_bn_stats(model, data_loader, num_iters=200, device="cuda"):
    """Recompute BN running statistics with a true average over ``num_iters`` batches.

    Deliberately runs the model in *training* mode (that is what makes BN
    layers update their buffers); nothing is evaluated here, outputs are
    discarded. The previous training flag and momenta are restored.
    """
    bn_layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bn_layers:
        return
    was_training = model.training
    momenta = {bn: bn.momentum for bn in bn_layers}
    for bn in bn_layers:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average over the passes below
    model.train()
    for images, _ in itertools.islice(data_loader, num_iters):
        model(images.to(device, non_blocking=True))
    for bn in bn_layers:
        bn.momentum = momenta[bn]
    model.train(was_training)


@torch.no_grad()
def evaluate(model, loader, device="cuda"):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        pred = model(images.to(device)).argmax(1)
        correct += (pred.cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=160)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--precise-bn-iters", type=int, default=200)
    args = ap.parse_args()

    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = datasets.CIFAR10("data", train=True, download=True, transform=train_tf)
    test_set = datasets.CIFAR10("data", train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=4, drop_last=True, pin_memory=True)
    test_loader = DataLoader(test_set, batch_size=500, num_workers=4)

    device = "cuda"
    model = CifarResNet(depth=20).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=1e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [80, 120], 0.1)

    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        update_bn_stats(model, train_loader, args.precise_bn_iters, device)
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch:3d}  test acc {100 * acc:.2f}%")
    torch.save(model.state_dict(), "resnet20_precise_bn.pt")


if __name__ == "__main__":
    main()
