"""DenseNet-121 for a 14-label chest X-ray task, ported from the Keras applications version.

Width bookkeeping (Huang et al., DenseNet-BC):
    dense layer:   BN(c) -> ReLU -> Conv1x1(c -> bn_size*k) -> BN(bn_size*k) -> ReLU -> Conv3x3(-> k)
    dense block:   c -> c + num_layers * k
    transition:    BN(c) -> ReLU -> Conv1x1(c -> c // 2) -> AvgPool
Keras BatchNormalization(epsilon=1.001e-5) is kept through `eps=`.
"""
import argparse
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

KERAS_EPS = 1.001e-5


class DenseLayer(nn.Sequential):
    def __init__(self, num_input_features, growth_rate, bn_size):
        inter = bn_size * growth_rate
        super().__init__(OrderedDict([
            ("norm1", nn.BatchNorm2d(num_input_features, eps=KERAS_EPS)),
            ("relu1", nn.ReLU(inplace=True)),
            ("conv1", nn.Conv2d(num_input_features, inter, kernel_size=1, bias=False)),
            ("norm2", nn.BatchNorm2d(inter, eps=KERAS_EPS)),
            ("relu2", nn.ReLU(inplace=True)),
            ("conv2", nn.Conv2d(inter, growth_rate, kernel_size=3, padding=1, bias=False)),
        ]))

    def forward(self, x):
        return torch.cat([x, super().forward(x)], 1)


class Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(num_input_features, eps=KERAS_EPS)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1, bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


class DenseNet121(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, num_classes=14):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features, eps=KERAS_EPS)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            for j in range(num_layers):
                self.features.add_module(f"denseblock{i + 1}_layer{j + 1}",
                                         DenseLayer(num_features + j * growth_rate, growth_rate, bn_size))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features, eps=KERAS_EPS))
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.classifier(out)


def multilabel_target(y, num_classes=14):
    return F.one_hot(torch.as_tensor(y), num_classes).float()


def evaluate(model, loader, device):
    model.eval()
    loss_sum, n = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            loss_sum += F.binary_cross_entropy_with_logits(logits, y.to(device), reduction="sum").item()
            n += y.numel()
    return loss_sum / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="cxr14")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    device = torch.device("cuda")
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                             transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_set = datasets.ImageFolder(f"{args.data}/train", tf, target_transform=multilabel_target)
    val_set = datasets.ImageFolder(f"{args.data}/val", tf, target_transform=multilabel_target)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8)
    val_loader = DataLoader(val_set, batch_size=args.batch_size * 2, num_workers=8)

    model = DenseNet121(num_classes=14).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=1)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.binary_cross_entropy_with_logits(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_loss = evaluate(model, val_loader, device)
        scheduler.step(val_loss)
        print(f"epoch {epoch}: val_loss {val_loss:.4f}")
        torch.save(model.state_dict(), f"densenet121_cxr_{epoch:02d}.pt")


if __name__ == "__main__":
    main()
