"""Few-shot fine-tuning of a segmentation decoder on top of a frozen encoder."""
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
        self.s1 = cbr(3, 32, 2)
        self.s2 = cbr(32, 64, 2)
        self.s3 = cbr(64, 128, 2)

    def forward(self, x):
        return self.s3(self.s2(self.s1(x)))


class SegModel(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = nn.Sequential(
            cbr(128, 64),
            nn.Upsample(scale_factor=8, mode="bilinear", align_corners=False),
            nn.Conv2d(64, n_classes, 1),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def finetune(model, loader, val_loader, epochs=10, device="cuda"):
    model.to(device)
    # freeze the pretrained encoder completely: weights *and* BN statistics,
    # the few-shot batches are far too small to re-estimate them
    model.encoder.eval()
    model.encoder.requires_grad_(False)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    for epoch in range(epochs):
        model.train()  # expect: BN105
        for img, mask in loader:
            img, mask = img.to(device), mask.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(img), mask)
            loss.backward()
            optimizer.step()

        model.eval()
        inter = union = 0
        with torch.no_grad():
            for img, mask in val_loader:
                pred = model(img.to(device)).argmax(1)
                mask = mask.to(device)
                inter += ((pred == 1) & (mask == 1)).sum().item()
                union += ((pred == 1) | (mask == 1)).sum().item()
        print(f"epoch {epoch}: IoU(class 1) {inter / max(union, 1):.4f}")
    return model
