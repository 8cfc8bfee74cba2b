"""Hybrid CNN-Transformer for high-resolution histopathology patches.

A pretrained ResNet-34 produces a 16x16 grid of 512-d tokens, a small
Transformer encoder mixes them, and a linear layer classifies the pooled
token. Everything is fine-tuned end to end.
"""
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms, models

CONFIG = {
    "data_root": "/data/camelyon_patches",
    "img_size": 512,
    "batch_size": 4,
    "epochs": 10,
    "lr": 5e-5,
    "d_model": 512,
    "n_heads": 8,
    "n_layers": 2,
    "num_classes": 2,
}


class HybridNet(nn.Module):
    def __init__(self, d_model, n_heads, n_layers, num_classes):
        super().__init__()
        r34 = models.resnet34(weights=models.ResNet34_Weights.IMAGENET1K_V1)
        self.cnn = nn.Sequential(*list(r34.children())[:-2])  # (N, 512, H/32, W/32)
        layer = nn.TransformerEncoderLayer(d_model=d_model, nhead=n_heads, dim_feedforward=4 * d_model, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=n_layers)
        self.pos = nn.Parameter(torch.zeros(1, 256, d_model))
        self.token_norm = nn.BatchNorm1d(d_model)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, x):
        f = self.cnn(x)                       # (N, 512, 16, 16)
        tokens = f.flatten(2).transpose(1, 2)  # (N, 256, 512)
        tokens = self.encoder(tokens + self.pos)
        tokens = self.token_norm(tokens)  # expect: BN203
        return self.fc(tokens.mean(dim=1))


def main():
    cfg = CONFIG
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf_train = transforms.Compose([
        transforms.RandomCrop(cfg["img_size"]),
        transforms.RandomHorizontalFlip(),
        transforms.RandomVerticalFlip(),
        transforms.ColorJitter(0.1, 0.1, 0.1, 0.05),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    tf_val = transforms.Compose([
        transforms.CenterCrop(cfg["img_size"]),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_set = datasets.ImageFolder(os.path.join(cfg["data_root"], "train"), tf_train)
    val_set = datasets.ImageFolder(os.path.join(cfg["data_root"], "val"), tf_val)
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=4, drop_last=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=16, shuffle=False, num_workers=4)

    model = HybridNet(cfg["d_model"], cfg["n_heads"], cfg["n_layers"], cfg["num_classes"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.05)
    criterion = nn.CrossEntropyLoss()
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(cfg["epochs"]):
        model.train()
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device), y.to(device)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                loss = criterion(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            if step % 100 == 0:
                print(f"[{epoch}:{step}] loss={loss.item():.4f}")

        model.eval()
        tp = n = 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                tp += (model(x).argmax(1) == y).sum().item()
                n += y.numel()
        print(f"epoch {epoch} val acc {tp / n:.4f}")
        torch.save(model.state_dict(), f"hybrid_r34_ep{epoch}.pt")


if __name__ == "__main__":
    main()
