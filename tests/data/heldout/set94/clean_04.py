"""Fine-tuning with a frozen backbone (BN kept in eval), then export.

The backbone's parameters are frozen *and* its BatchNorm layers are kept in
eval mode by overriding train(), so model.train() cannot unfreeze them.
"""
import argparse
import copy

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=False),
        )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            ConvBNReLU(3, 32, 2), ConvBNReLU(32, 64, 2),
            ConvBNReLU(64, 128, 2), ConvBNReLU(128, 256, 2),
        )

    def forward(self, x):
        return self.layers(x)


class TransferModel(nn.Module):
    def __init__(self, num_classes, freeze_backbone=True):
        super().__init__()
        self.backbone = Encoder()
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(256, num_classes))
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            # frozen feature extractor: keep BN running stats fixed
            self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


class TransferTrainer:
    def __init__(self, model, train_loader, val_loader, lr=1e-3, epochs=10, device="cpu"):
        self.model = model.to(device)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.device = epochs, device
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(params, lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train_epoch(self):
        self.model.train()
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            loss = self.criterion(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def validate(self):
        self.model.eval()
        correct = n = 0
        with torch.no_grad():
            for x, y in self.val_loader:
                out = self.model(x.to(self.device))
                correct += (out.argmax(1).cpu() == y).sum().item()
                n += len(y)
        return correct / n

    def fit(self):
        best, best_state = 0.0, None
        for epoch in range(self.epochs):
            self.train_epoch()
            acc = self.validate()
            print(f"epoch {epoch} acc {acc:.4f}")
            if acc > best:
                best, best_state = acc, copy.deepcopy(self.model.state_dict())
        self.model.load_state_dict(best_state)
        return best


def export_all(model, prefix):
    model = model.cpu()
    model.eval()
    example = torch.randn(1, 3, 128, 128)
    torch.onnx.export(model, example, f"{prefix}.onnx", opset_version=17,
                      input_names=["x"], output_names=["logits"])
    traced = torch.jit.trace(model, example)
    traced.save(f"{prefix}.ts")

    fused = copy.deepcopy(model)
    fused.eval()
    groups = [[f"backbone.layers.{i}.0", f"backbone.layers.{i}.1", f"backbone.layers.{i}.2"]
              for i in range(len(fused.backbone.layers))]
    fused = fuse_modules(fused, groups, inplace=False)
    with torch.no_grad():
        diff = (fused(example) - model(example)).abs().max().item()
    print(f"fused model max abs diff {diff:.2e}")
    torch.jit.trace(fused, example).save(f"{prefix}_fused.ts")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/dtd")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=48)
    ap.add_argument("--pretrained", default="encoder_ssl.pt")
    args = ap.parse_args()

    tf = transforms.Compose([transforms.RandomResizedCrop(128), transforms.ToTensor()])
    vtf = transforms.Compose([transforms.Resize(146), transforms.CenterCrop(128),
                              transforms.ToTensor()])
    train_loader = DataLoader(datasets.ImageFolder(f"{args.data}/train", tf),
                              batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(datasets.ImageFolder(f"{args.data}/val", vtf),
                            batch_size=128, num_workers=4)

    model = TransferModel(num_classes=47)
    model.backbone.load_state_dict(torch.load(args.pretrained, map_location="cpu"))
    trainer = TransferTrainer(model, train_loader, val_loader, epochs=args.epochs,
                              device="cuda" if torch.cuda.is_available() else "cpu")
    print("best", trainer.fit())
    export_all(trainer.model, "dtd_transfer")


if __name__ == "__main__":
    main()
