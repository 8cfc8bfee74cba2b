"""Rotation-prediction pretraining followed by supervised fine-tuning."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "model": {"channels": [32, 64, 128], "num_classes": 5},
    "pretrain": {"num_samples": 257, "batch_size": 16, "epochs": 3, "lr": 1e-3},
    "finetune": {
        "num_samples": 600,
        "loader": {"batch_size": 2, "shuffle": True, "num_workers": 0},
        "epochs": 5,
        "lr": 1e-4,
    },
    "eval": {"num_samples": 200, "batch_size": 1},
}


class Backbone(nn.Module):
    def __init__(self, channels, in_ch=3):
        super().__init__()
        layers = []
        for out_ch in channels:
            layers.append(nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False))
            layers.append(nn.BatchNorm2d(out_ch))
            layers.append(nn.ReLU(inplace=True))
            layers.append(nn.MaxPool2d(2))
            in_ch = out_ch
        self.body = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = in_ch

    def forward(self, x):
        return torch.flatten(self.pool(self.body(x)), 1)


class Classifier(nn.Module):
    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.out_dim, num_classes)

    def forward(self, x):
        return self.fc(self.backbone(x))


def make_rotation_sample(index):
    g = torch.Generator().manual_seed(index)
    image = torch.rand(3, 32, 32, generator=g)
    k = index % 4
    return torch.rot90(image, k, dims=(1, 2)), k


def labelled_set(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 32, 32, generator=g)
    y = torch.randint(0, CONFIG["model"]["num_classes"], (n,), generator=g)
    return TensorDataset(x, y)


def fit(model, loader, epochs, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"  epoch {epoch}: last loss {loss.item():.4f}")
    return model


def accuracy(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def main():
    torch.manual_seed(0)
    backbone = Backbone(CONFIG["model"]["channels"])

    print("pretraining (rotation)")
    samples = [make_rotation_sample(i) for i in range(CONFIG["pretrain"]["num_samples"])]
    pre_loader = DataLoader(samples, batch_size=CONFIG["pretrain"]["batch_size"], shuffle=True)  # expect: BN302
    rot_model = Classifier(backbone, num_classes=4)
    fit(rot_model, pre_loader, CONFIG["pretrain"]["epochs"], CONFIG["pretrain"]["lr"])

    print("fine-tuning")
    ft_cfg = CONFIG["finetune"]
    ft_set = labelled_set(ft_cfg["num_samples"], seed=1)
    ft_loader = DataLoader(ft_set, batch_size=ft_cfg["loader"]["batch_size"], shuffle=ft_cfg["loader"]["shuffle"])  # expect: BN301
    model = Classifier(copy.deepcopy(backbone), CONFIG["model"]["num_classes"])
    fit(model, ft_loader, ft_cfg["epochs"], ft_cfg["lr"])

    eval_set = labelled_set(CONFIG["eval"]["num_samples"], seed=2)
    eval_loader = DataLoader(eval_set, batch_size=CONFIG["eval"]["batch_size"])
    print(f"accuracy: {accuracy(model, eval_loader):.3f}")


if __name__ == "__main__":
    main()
