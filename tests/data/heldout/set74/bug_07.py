"""Single-GPU binary segmentation of synthetic blobs with a tiny U-Net."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

IMAGE_SIZE = 64
BATCH_SIZE = 16
EPOCHS = 12


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class TinyUNet(nn.Module):
    def __init__(self, base=16):
        super().__init__()
        self.enc1 = double_conv(1, base)
        self.enc2 = double_conv(base, base * 2)
        self.bottleneck = double_conv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottleneck(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


class BlobDataset(Dataset):
    def __init__(self, length, seed):
        self.length = length
        self.seed = seed

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(self.seed + i)
        yy, xx = torch.meshgrid(torch.arange(IMAGE_SIZE), torch.arange(IMAGE_SIZE), indexing="ij")
        cy, cx = torch.randint(10, IMAGE_SIZE - 10, (2,), generator=g)
        r = torch.randint(4, 10, (1,), generator=g)
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2).float().unsqueeze(0)
        image = mask + 0.4 * torch.randn(1, IMAGE_SIZE, IMAGE_SIZE, generator=g)
        return image, mask


def dice(logits, target, eps=1e-6):
    pred = (logits.sigmoid() > 0.5).float()
    inter = (pred * target).sum(dim=(1, 2, 3))
    union = pred.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return ((2 * inter + eps) / (union + eps)).mean()


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(BlobDataset(2048, seed=0), batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
    val_loader = DataLoader(BlobDataset(256, seed=10_000), batch_size=BATCH_SIZE)

    model = TinyUNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        model.train()
        for image, mask in train_loader:
            image, mask = image.to(device), mask.to(device)
            loss = F.binary_cross_entropy_with_logits(model(image), mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        model.eval()
        scores = []
        with torch.no_grad():
            for image, mask in val_loader:
                scores.append(dice(model(image.to(device)), mask.to(device)).item())
        print(f"epoch {epoch}: loss={loss.item():.4f} dice={sum(scores) / len(scores):.3f}")

    torch.save(model.state_dict(), "tiny_unet.pt")


if __name__ == "__main__":
    main()
