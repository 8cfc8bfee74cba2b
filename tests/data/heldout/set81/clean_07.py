import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, TensorDataset


class FrozenBackboneClassifier(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.backbone = torchvision.models.resnet18(weights=None)
        feat = self.backbone.fc.in_features
        self.backbone.fc = nn.Identity()
        self.head = nn.Sequential(
            nn.Linear(feat, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, n_classes),
        )
        self._freeze_backbone()

    def _freeze_backbone(self):
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.backbone.eval()

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


def run_epoch(model, loader, opt):
    model.train()
    total = 0.0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    return total / len(loader)


def infer(model, loader):
    model.eval()
    preds = []
    with torch.no_grad():
        for (x,) in loader:
            preds.append(model(x).argmax(1))
    return torch.cat(preds)


def main():
    model = FrozenBackboneClassifier()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    train_ds = TensorDataset(torch.randn(320, 3, 96, 96), torch.randint(0, 5, (320,)))
    test_ds = TensorDataset(torch.randn(7, 3, 96, 96))
    train_loader = DataLoader(train_ds, batch_size=32, shuffle=True)
    for epoch in range(2):
        print(epoch, run_epoch(model, train_loader, opt))
    print(infer(model, DataLoader(test_ds, batch_size=1)))


if __name__ == "__main__":
    main()
