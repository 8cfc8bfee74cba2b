"""Feature-extraction transfer learning, ported from the Keras guide.

Keras:
    base_model.trainable = False
    x = base_model(inputs, training=False)   # keep BN in inference mode
In PyTorch, requires_grad=False does *not* stop BatchNorm from updating its
running statistics, so the frozen backbone is also kept in eval mode every
epoch (after model.train() switches everything back on).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

NUM_CLASSES = 102
BATCH_SIZE = 32
EPOCHS = 12


def conv_bn(in_ch, out_ch, stride):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.Sequential(
            conv_bn(3, 32, 2), conv_bn(32, 32, 1),
            conv_bn(32, 64, 2), conv_bn(64, 64, 1),
            conv_bn(64, 128, 2), conv_bn(128, 128, 1),
            conv_bn(128, 256, 2), conv_bn(256, 256, 1),
        )
        self.out_channels = 256

    def forward(self, x):
        return self.stages(x)


class FlowerClassifier(nn.Module):
    def __init__(self, backbone, num_classes=NUM_CLASSES):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Linear(backbone.out_channels, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.backbone(x), 1).flatten(1))


def evaluate(model, loader, device):
    model.eval()
    hits = n = 0
    with torch.no_grad():
        for x, y in loader:
            hits += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            n += y.numel()
    return hits / n


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_set = datasets.Flowers102("data", split="train", download=True, transform=transforms.Compose([
        transforms.RandomResizedCrop(192), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.Flowers102("data", split="val", download=True, transform=transforms.Compose([
        transforms.Resize(220), transforms.CenterCrop(192), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128)

    backbone = Backbone()
    backbone.load_state_dict(torch.load("backbone_imagenet.pt", map_location="cpu"))
    backbone.eval()                      # training=False
    backbone.requires_grad_(False)       # trainable = False
    model = FlowerClassifier(backbone).to(device)
    optimizer = torch.optim.Adam(model.head.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        model.train()
        model.backbone.eval()            # keep frozen BN statistics fixed
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: val acc {evaluate(model, val_loader, device):.4f}")

    model.eval()
    example = torch.randn(1, 3, 192, 192, device=device)
    exported = torch.export.export(model, (example,))
    torch.export.save(exported, "flowers_head.pt2")


if __name__ == "__main__":
    main()
