"""Binary road segmentation with a small U-Net and a reusable trainer base class."""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.io import read_image


class BaseTrainer:
    """Owns the loop; subclasses implement ``training_step`` and ``eval_step``."""

    def __init__(self, model: nn.Module, optimizer, device):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.device = device

    def training_step(self, batch):
        raise NotImplementedError

    def eval_step(self, batch):
        raise NotImplementedError

    def aggregate(self, outputs):
        return {k: sum(o[k] for o in outputs) / len(outputs) for k in outputs[0]}

    def fit(self, train_loader, val_loader, epochs: int):
        history = []
        for epoch in range(epochs):
            self.model.train()
            for batch in train_loader:
                loss = self.training_step(batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            metrics = self.evaluate(val_loader)
            history.append(metrics)
            print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        return history

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        return self.aggregate([self.eval_step(batch) for batch in loader])


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.enc1 = double_conv(3, base)
        self.enc2 = double_conv(base, base * 2)
        self.bottleneck = double_conv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottleneck(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


class SegmentationTrainer(BaseTrainer):
    def training_step(self, batch):
        images, masks = (t.to(self.device) for t in batch)
        return F.cross_entropy(self.model(images), masks)

    def eval_step(self, batch):
        images, masks = (t.to(self.device) for t in batch)
        logits = self.model(images)
        preds = logits.argmax(dim=1)
        inter = ((preds == 1) & (masks == 1)).sum().item()
        union = ((preds == 1) | (masks == 1)).sum().item()
        return {"loss": F.cross_entropy(logits, masks).item(), "iou": inter / max(union, 1)}

    def test(self, loader):
        return self.evaluate(loader)


class RoadDataset(Dataset):
    def __init__(self, root):
        self.root = root
        self.names = sorted(os.listdir(os.path.join(root, "images")))

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        image = read_image(os.path.join(self.root, "images", self.names[i])).float() / 255
        mask = read_image(os.path.join(self.root, "masks", self.names[i]))[0] > 127
        return image, mask.long()


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = UNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    trainer = SegmentationTrainer(model, optimizer, device)
    train_loader = DataLoader(RoadDataset("data/train"), batch_size=16, shuffle=True, drop_last=True)
    val_loader = DataLoader(RoadDataset("data/val"), batch_size=8)
    test_loader = DataLoader(RoadDataset("data/test"), batch_size=8)
    trainer.fit(train_loader, val_loader, epochs=50)
    print("test:", trainer.test(test_loader))
