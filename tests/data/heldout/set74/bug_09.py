"""Video action recognition with gradient accumulation on a single small GPU."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

EFFECTIVE_BATCH_SIZE = 64
ACCUMULATION_STEPS = 32
MICRO_BATCH_SIZE = EFFECTIVE_BATCH_SIZE // ACCUMULATION_STEPS
NUM_CLASSES = 10
CLIP_LEN = 8
FRAME_SIZE = 56
TRAIN_CLIPS = 3000
VAL_CLIPS = 300


class RandomClips(Dataset):
    def __init__(self, num_clips, seed):
        self.num_clips = num_clips
        self.seed = seed

    def __len__(self):
        return self.num_clips

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed + idx)
        label = int(torch.randint(0, NUM_CLASSES, (1,), generator=g))
        clip = torch.randn(3, CLIP_LEN, FRAME_SIZE, FRAME_SIZE, generator=g)
        clip[:, :, label * 5 : label * 5 + 5, :] += 1.0
        return clip, label


class C3DLite(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, 32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm3d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((1, 2, 2)),
            nn.Conv3d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm3d(32),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.MaxPool3d(2),
            nn.Conv3d(64, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm3d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool3d(1),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


def train_epoch(model, loader, optimizer, scaler, device):
    model.train()
    optimizer.zero_grad(set_to_none=True)
    for step, (clips, labels) in enumerate(loader, start=1):
        clips, labels = clips.to(device), labels.to(device)
        with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
            loss = F.cross_entropy(model(clips), labels) / ACCUMULATION_STEPS
        scaler.scale(loss).backward()
        if step % ACCUMULATION_STEPS == 0:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
    return loss.item() * ACCUMULATION_STEPS


@torch.inference_mode()
def validate(model, loader, device):
    model.eval()
    correct = 0
    for clips, labels in loader:
        correct += (model(clips.to(device)).argmax(1).cpu() == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(RandomClips(TRAIN_CLIPS, 0), batch_size=MICRO_BATCH_SIZE, shuffle=True, num_workers=4)  # expect: BN301
    val_loader = DataLoader(RandomClips(VAL_CLIPS, 99_999), batch_size=MICRO_BATCH_SIZE * 8, num_workers=4)

    model = C3DLite().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")

    for epoch in range(15):
        last = train_epoch(model, train_loader, optimizer, scaler, device)
        acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: last loss {last:.3f}, val acc {acc:.3f}")

    torch.save(model.state_dict(), "c3d_lite.pt")


if __name__ == "__main__":
    main()
