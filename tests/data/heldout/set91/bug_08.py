"""Linear-probe / light fine-tuning of a Kinetics-pretrained (2+1)D ResNet
on a small surgical-video phase-recognition dataset.

The spatio-temporal backbone is frozen; only the temporal head is trained.
"""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

NUM_PHASES = 7
EPOCHS = 12
EVAL_EVERY = 200


class Conv2Plus1D(nn.Sequential):
    def __init__(self, cin, cout, mid, stride=1):
        super().__init__(
            nn.Conv3d(cin, mid, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid, cout, (3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False),
        )


class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        mid = (cin * cout * 27) // (cin * 9 + 3 * cout)
        self.conv1 = nn.Sequential(Conv2Plus1D(cin, cout, mid, stride), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(Conv2Plus1D(cout, cout, (cout * cout * 27) // (cout * 9 + 3 * cout)),
                                   nn.BatchNorm3d(cout))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        return torch.relu(self.conv2(self.conv1(x)) + identity)


class R2Plus1DBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(45), nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, (3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(64), nn.ReLU(inplace=True),
        )
        self.layers = nn.Sequential(Block(64, 64), Block(64, 128, 2), Block(128, 256, 2), Block(256, 512, 2))
        self.pool = nn.AdaptiveAvgPool3d(1)

    def forward(self, x):
        return self.pool(self.layers(self.stem(x))).flatten(1)


class PhaseModel(nn.Module):
    def __init__(self, num_phases=NUM_PHASES):
        super().__init__()
        self.backbone = R2Plus1DBackbone()
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(512, num_phases))

    def forward(self, clips):
        return self.head(self.backbone(clips))


class SurgicalClips(Dataset):
    def __init__(self, index_file):
        with open(index_file) as f:
            self.items = [line.split() for line in f if line.strip()]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, phase = self.items[i]
        clip = torch.load(path)  # pre-decoded uint8 (3, 16, 112, 112)
        return clip.float().div_(255), int(phase)


def run_validation(model, loader, device):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for clips, y in loader:
            correct += (model(clips.to(device)).argmax(1).cpu() == y).sum().item()
            seen += y.numel()
    return correct / max(seen, 1)


def main():
    device = "cuda"
    model = PhaseModel()
    state = torch.load("r2plus1d_kinetics400.pth", map_location="cpu")
    model.backbone.load_state_dict(state, strict=False)
    model.backbone.requires_grad_(False)  # expect: BN105
    model.to(device)

    train_loader = DataLoader(SurgicalClips("train.txt"), batch_size=32, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(SurgicalClips("val.txt"), batch_size=64, num_workers=8)
    opt = torch.optim.AdamW(model.head.parameters(), lr=3e-4, weight_decay=0.05)
    criterion = nn.CrossEntropyLoss()

    best = 0.0
    for epoch in range(EPOCHS):
        model.train()
        for step, (clips, y) in enumerate(train_loader):
            logits = model(clips.to(device, non_blocking=True))
            loss = criterion(logits, y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if (step + 1) % EVAL_EVERY == 0:
                acc = run_validation(model, val_loader, device)  # expect: BN103
                print(f"epoch {epoch} step {step} loss {loss.item():.3f} val acc {acc:.3f}")
                if acc > best:
                    best = acc
                    torch.save(model.head.state_dict(), "phase_head.pt")


if __name__ == "__main__":
    main()
