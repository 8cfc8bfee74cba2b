"""Linear probe: "frozen" encoder still changes, accuracy far below the paper

Standard linear evaluation of my SimCLR encoder on CIFAR-10. The encoder is
frozen with requires_grad_(False) and only the linear layer is in the
optimizer, yet linear-probe accuracy is ~10 points below what I get with the
authors' script. When I diff encoder.state_dict() before and after one epoch,
every bn*.running_mean / running_var tensor is different. How can a frozen
model change?
"""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    out_dim = 512

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(3, 64),
            conv_bn_relu(64, 128, stride=2),
            conv_bn_relu(128, 256, stride=2),
            conv_bn_relu(256, 512, stride=2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )

    def forward(self, x):
        return self.body(x)


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="runs/simclr/encoder_epoch800.pth")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4),
                                   transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_set = datasets.CIFAR10("data", train=True, download=True, transform=train_tf)
    test_set = datasets.CIFAR10("data", train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=512, num_workers=8)

    encoder = Encoder()
    state = torch.load(args.ckpt, map_location="cpu")
    encoder.load_state_dict(state["encoder"])
    encoder.requires_grad_(False)  # expect: BN105
    before = copy.deepcopy(encoder.state_dict())

    classifier = nn.Linear(Encoder.out_dim, 10)
    model = nn.Sequential(encoder, classifier).to(device)
    optimizer = torch.optim.SGD(classifier.parameters(), lr=0.1, momentum=0.9, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} test acc {acc:.4f}")
        if epoch == 0:
            after = encoder.state_dict()
            changed = [k for k in before if not torch.equal(before[k], after[k].cpu())]
            print("changed tensors in frozen encoder:", changed[:6], "...")


if __name__ == "__main__":
    main()
