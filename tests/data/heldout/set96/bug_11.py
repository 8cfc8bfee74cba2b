"""Facial-landmark regressor: train with per-epoch NME validation."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_LANDMARKS = 68


class LandmarkNet(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [3, 32, 64, 128, 256]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [
                nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
        self.encoder = nn.Sequential(*layers)
        self.regressor = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(256, N_LANDMARKS * 2),
        )

    def forward(self, x):
        return self.regressor(self.encoder(x)).view(-1, N_LANDMARKS, 2)


def nme(pred, target):
    # normalised by inter-ocular distance (landmarks 36 and 45)
    iod = (target[:, 36] - target[:, 45]).norm(dim=-1).clamp(min=1e-6)
    return ((pred - target).norm(dim=-1).mean(dim=-1) / iod).mean()


def fit(model, train_loader, val_loader, epochs=60, device="cuda"):
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    best = float("inf")
    for epoch in range(epochs):
        model.train  # expect: BN102
        for images, target in train_loader:
            images, target = images.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.smooth_l1_loss(model(images), target)
            loss.backward()
            optimizer.step()

        model.eval()  # expect: BN103
        scores = []
        with torch.no_grad():
            for images, target in val_loader:
                scores.append(nme(model(images.to(device)), target.to(device)).item())
        score = sum(scores) / max(len(scores), 1)
        if score < best:
            best = score
            torch.save(model.state_dict(), "landmarks_best.pt")
        print(f"epoch {epoch}: NME {score:.4f} (best {best:.4f})")
    return best
