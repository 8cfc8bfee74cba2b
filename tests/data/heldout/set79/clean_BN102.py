"""Keyword spotting on log-mel spectrograms (Speech-Commands style, 12 classes)."""
import dataclasses
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

N_MELS = 40
N_FRAMES = 98
KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off",
            "stop", "go", "_unknown_", "_silence_"]


class SyntheticCommands(Dataset):
    """Stand-in for the cached log-mel features of the real corpus."""

    def __init__(self, size: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(len(KEYWORDS), (size,), generator=g)
        self.templates = torch.randn(len(KEYWORDS), 1, N_MELS, N_FRAMES, generator=g)
        self.noise = torch.randn(size, 1, N_MELS, N_FRAMES, generator=g) * 0.7

    def __len__(self):
        return self.labels.numel()

    def __getitem__(self, i):
        y = self.labels[i]
        return self.templates[y] + self.noise[i], y


class DSConv(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(self.bn1(self.dw(x)))
        return F.relu(self.bn2(self.pw(x)))


class KWSNet(nn.Module):
    def __init__(self, n_classes: int, width: int = 64, depth: int = 4):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, (10, 4), stride=2, padding=(5, 1), bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.Sequential(*[DSConv(width, width) for _ in range(depth)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


@dataclasses.dataclass
class TrainerState:
    epoch: int = 0
    step: int = 0
    training: bool = True
    best_acc: float = 0.0
    history: list = dataclasses.field(default_factory=list)


class KWSTrainer:
    def __init__(self, model, train_loader, val_loader, lr=2e-3, epochs=30, device="cpu"):
        self.device = device
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.epochs = epochs
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=1e-2)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(
            self.opt, max_lr=lr, total_steps=epochs * len(train_loader))
        self.state = TrainerState()

    def train_epoch(self) -> float:
        self.state.training = True
        self.model.train()
        running = 0.0
        for spec, label in self.train_loader:
            spec, label = spec.to(self.device), label.to(self.device)
            loss = F.cross_entropy(self.model(spec), label, label_smoothing=0.1)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.sched.step()
            self.state.step += 1
            running += loss.item()
        return running / len(self.train_loader)

    @torch.no_grad()
    def validate(self) -> float:
        self.state.training = False
        self.model.eval()
        correct = total = 0
        for spec, label in self.val_loader:
            spec, label = spec.to(self.device), label.to(self.device)
            pred = self.model(spec).argmax(dim=1)
            correct += (pred == label).sum().item()
            total += label.numel()
        return correct / max(total, 1)

    def fit(self, ckpt_path="kws_best.pt"):
        for epoch in range(self.epochs):
            self.state.epoch = epoch
            t0 = time.time()
            loss = self.train_epoch()
            acc = self.validate()
            self.state.history.append((loss, acc))
            if acc > self.state.best_acc:
                self.state.best_acc = acc
                torch.save(self.model.state_dict(), ckpt_path)
            print(f"epoch {epoch:02d} loss {loss:.4f} val_acc {acc:.4f} ({time.time() - t0:.1f}s)")
        return self.state


if __name__ == "__main__":
    train_loader = DataLoader(SyntheticCommands(4096, seed=0), batch_size=64, shuffle=True)
    val_loader = DataLoader(SyntheticCommands(1024, seed=1), batch_size=256)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    trainer = KWSTrainer(KWSNet(len(KEYWORDS)), train_loader, val_loader, epochs=20, device=dev)
    final = trainer.fit()
    print(f"best val acc: {final.best_acc:.4f}")
