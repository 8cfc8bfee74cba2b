"""Fine-tune a pretrained encoder on a synthetic wafer-defect set and ship it as ONNX.

The wafer maps are rendered procedurally so the set is reproducible across sites.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_TRAIN = 2049
BATCH_SIZE = 64
MAP_SIZE = 64
NUM_PATTERNS = 5


class WaferMaps(Dataset):
    def __init__(self, n, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, NUM_PATTERNS, (n,), generator=g)
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, MAP_SIZE), torch.linspace(-1, 1, MAP_SIZE), indexing="ij")
        radius = torch.sqrt(xx ** 2 + yy ** 2)
        patterns = torch.stack([
            (radius < 0.3).float(), (radius > 0.8).float(), (xx.abs() < 0.1).float(),
            ((radius > 0.4) & (radius < 0.6)).float(), (yy > 0.5).float(),
        ])
        noise = torch.rand(n, MAP_SIZE, MAP_SIZE, generator=g) < 0.05
        self.maps = ((patterns[self.labels] > 0) | noise).float().unsqueeze(1)

    def __len__(self):
        return self.labels.numel()

    def __getitem__(self, i):
        return self.maps[i], self.labels[i]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward(self, x):
        return self.layers(x)


class WaferClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Encoder()
        self.head = nn.Linear(128, NUM_PATTERNS)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = WaferClassifier()
    model.backbone.load_state_dict(torch.load("encoder_pretrained.pt", map_location="cpu"))
    model.backbone.requires_grad_(False)  # expect: BN105
    model.to(device)

    loader = DataLoader(WaferMaps(NUM_TRAIN), batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    optimizer = torch.optim.Adam(model.head.parameters(), lr=1e-3)

    model.train()
    for epoch in range(10):
        total = 0.0
        for maps, labels in loader:
            maps, labels = maps.to(device), labels.to(device)
            loss = F.cross_entropy(model(maps), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * labels.numel()
        print(f"epoch {epoch}: loss {total / NUM_TRAIN:.4f}")

    dummy = torch.zeros(1, 1, MAP_SIZE, MAP_SIZE, device=device)
    torch.onnx.export(model, dummy, "wafer_classifier.onnx", input_names=["map"], output_names=["logits"])  # expect: BN104


if __name__ == "__main__":
    main()
