"""Semi-supervised baseline: train on the labelled subset of a patch dataset."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Subset

NUM_PATCHES = 5000
NUM_LABELED = 1921
BATCH_SIZE = 64
EMBED_DIM = 128
NUM_CLASSES = 8


class CachedPatches(Dataset):
    def __init__(self, num_patches=NUM_PATCHES, seed=7):
        g = torch.Generator().manual_seed(seed)
        self.patches = torch.rand(num_patches, 3, 40, 40, generator=g)
        self.labels = torch.randint(0, NUM_CLASSES, (num_patches,), generator=g)

    def __len__(self):
        return len(self.patches)

    def __getitem__(self, idx):
        patch = self.patches[idx]
        if torch.rand(1).item() < 0.5:
            patch = patch.flip(-1)
        return patch, self.labels[idx]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )

    def forward(self, x):
        return self.net(x)


class ProjectionClassifier(nn.Module):
    def __init__(self, encoder, embed_dim=EMBED_DIM, num_classes=NUM_CLASSES):
        super().__init__()
        self.encoder = encoder
        self.neck = nn.Sequential(
            nn.Linear(256, embed_dim, bias=False),
            nn.SyncBatchNorm(embed_dim),  # expect: BN303
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        z = self.neck(self.encoder(x))
        return self.head(z), F.normalize(z, dim=1)


def main():
    torch.manual_seed(3)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    full = CachedPatches()
    labeled = Subset(full, range(NUM_LABELED))
    held_out = Subset(full, range(NUM_LABELED, NUM_PATCHES))
    train_loader = DataLoader(labeled, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    eval_loader = DataLoader(held_out, batch_size=256)

    model = ProjectionClassifier(Encoder()).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)

    for epoch in range(30):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            logits, emb = model(x)
            sim = emb @ emb.t()
            same = (y[:, None] == y[None, :]).float()
            loss = F.cross_entropy(logits, y) + 0.1 * F.mse_loss(sim, same)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        model.eval()
        hit = 0
        with torch.no_grad():
            for x, y in eval_loader:
                logits, _ = model(x.to(device))
                hit += (logits.argmax(1).cpu() == y).sum().item()
        print(f"epoch {epoch:02d} loss {loss.item():.3f} held-out acc {hit / len(held_out):.3f}")


if __name__ == "__main__":
    main()
