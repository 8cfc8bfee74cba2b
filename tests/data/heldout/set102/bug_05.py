# Q: "I call freeze_bn() before training but running_mean/running_var still change"
#
# I pretrained an encoder with SimCLR and now fine-tune a linear classifier + the
# encoder on CIFAR-10 with a small learning rate. I want the BatchNorm statistics
# of the encoder to stay exactly as they were after pretraining, so I put all BN
# layers in eval mode. But after fine-tuning, encoder.stage1.bn.running_mean is
# different from the checkpoint. What am I missing?

import argparse
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import CIFAR10


def conv_bn(in_ch, out_ch, stride=1):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)),
        ("bn", nn.BatchNorm2d(out_ch)),
        ("relu", nn.ReLU(inplace=True)),
    ]))


class Encoder(nn.Module):
    out_dim = 256

    def __init__(self):
        super().__init__()
        self.stage1 = conv_bn(3, 64)
        self.stage2 = conv_bn(64, 128, stride=2)
        self.stage3 = conv_bn(128, 256, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(x)))
        return torch.flatten(self.pool(x), 1)


class LinearEval(nn.Module):
    def __init__(self, encoder, num_classes=10):
        super().__init__()
        self.encoder = encoder
        self.fc = nn.Linear(Encoder.out_dim, num_classes)

    def forward(self, x):
        return self.fc(self.encoder(x))


def freeze_bn(module):
    """keep the pretrained BN statistics"""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pretrained", default="simclr_encoder.pt")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_loader = DataLoader(CIFAR10("data", train=True, download=True, transform=train_tf), batch_size=128, shuffle=True, num_workers=4)
    test_loader = DataLoader(CIFAR10("data", train=False, transform=test_tf), batch_size=512, num_workers=4)

    encoder = Encoder()
    encoder.load_state_dict(torch.load(args.pretrained, map_location="cpu"))
    model = LinearEval(encoder).to(device)
    freeze_bn(model.encoder)

    optimizer = torch.optim.Adam([
        {"params": model.encoder.parameters(), "lr": args.lr * 0.1},
        {"params": model.fc.parameters(), "lr": args.lr},
    ])

    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch}: test acc {acc:.4f}")

    torch.save(model.state_dict(), "linear_eval.pt")


if __name__ == "__main__":
    main()
