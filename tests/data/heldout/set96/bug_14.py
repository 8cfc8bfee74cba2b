"""Linear-probe fine-tuning of a pretrained backbone on a small flower data set."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [3, 64, 128, 256, 512]
        blocks = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            blocks.append(nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ))
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = widths[-1]

    def forward(self, x):
        return torch.flatten(self.pool(self.blocks(x)), 1)


class Probe(nn.Module):
    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_dim, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def build(pretrained_path, num_classes=102):
    backbone = Backbone()
    backbone.load_state_dict(torch.load(pretrained_path, map_location="cpu"))
    for p in backbone.parameters():
        p.requires_grad = False  # expect: BN105
    return Probe(backbone, num_classes)


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    hits = n = 0
    for x, y in loader:
        hits += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        n += y.numel()
    return hits / max(n, 1)


def run(pretrained_path, train_loader, val_loader, epochs=15, device="cuda"):
    model = build(pretrained_path).to(device)
    optimizer = torch.optim.SGD(model.head.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: top1 {validate(model, val_loader, device):.4f}")
    return model
