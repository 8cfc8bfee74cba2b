"""Fine-tuning with a frozen encoder whose BatchNorm statistics stay frozen too."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(cbr(3, 32, 2), cbr(32, 64, 2), cbr(64, 128, 2))

    def forward(self, x):
        return self.body(x)


class SegModel(nn.Module):
    def __init__(self, n_classes=4, freeze_encoder=True):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = nn.Sequential(
            cbr(128, 64),
            nn.Upsample(scale_factor=8, mode="bilinear", align_corners=False),
            nn.Conv2d(64, n_classes, 1),
        )
        self.freeze_encoder = freeze_encoder
        if freeze_encoder:
            self.encoder.eval()
            self.encoder.requires_grad_(False)

    def train(self, mode=True):
        """Keep the frozen encoder (and its BN running stats) in eval mode."""
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()
        return self

    def forward(self, x):
        return self.decoder(self.encoder(x))


@torch.no_grad()
def extract_features(encoder, loader, device):
    """Offline feature bank from a fully frozen encoder (never trained here)."""
    encoder.eval()
    encoder.requires_grad_(False)
    return torch.cat([encoder(x.to(device)).mean(dim=(2, 3)).cpu() for x, _ in loader])


def finetune(model, loader, val_loader, epochs=10, device="cuda"):
    model.to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for img, mask in loader:
            img, mask = img.to(device), mask.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(img), mask)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            miou = sum((model(i.to(device)).argmax(1) == m.to(device)).float().mean().item()
                       for i, m in val_loader) / max(len(val_loader), 1)
        print(f"epoch {epoch}: pixel acc {miou:.4f}")
    return model
