"""3D-CNN action recognition on short RGB clips (UCF-101 style).

The clip loader yields uint8 tensors laid out as (batch, frames, H, W, 3);
they are normalised and reordered to (batch, 3, frames, H, W) for Conv3d.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_FRAMES = 16
CROP = 112
N_CLASSES = 101
MEAN = torch.tensor([0.432, 0.395, 0.376]).view(1, 3, 1, 1, 1)
STD = torch.tensor([0.228, 0.221, 0.217]).view(1, 3, 1, 1, 1)


def conv3d_bn(in_ch, out_ch, kernel=3, stride=1):
    return nn.Sequential(
        nn.Conv3d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm3d(out_ch),
        nn.ReLU(inplace=True),
    )


class ClipNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES, embed_dim=256):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 64, kernel_size=(3, 7, 7), stride=(1, 2, 2),
                      padding=(1, 3, 3), bias=False),
            nn.BatchNorm2d(64),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        )
        self.layer1 = conv3d_bn(64, 128)
        self.layer2 = conv3d_bn(128, 256, stride=2)
        self.layer3 = conv3d_bn(256, 512, stride=2)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.embed = nn.Sequential(
            nn.Flatten(),
            nn.Linear(512, embed_dim, bias=False),
            nn.BatchNorm1d(512),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
        )
        self.fc = nn.Linear(embed_dim, n_classes)

    def forward(self, clips):
        x = self.stem(clips)
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.embed(self.pool(x))
        return self.fc(x)


def prepare(raw_clips):
    x = raw_clips.float().div_(255.0)
    x = x.permute(0, 4, 1, 2, 3).contiguous()
    return (x - MEAN) / STD


def fake_loader(n_batches, batch_size):
    for _ in range(n_batches):
        clips = torch.randint(0, 256, (batch_size, N_FRAMES, CROP, CROP, 3), dtype=torch.uint8)
        yield clips, torch.randint(0, N_CLASSES, (batch_size,))


def train_one_epoch(model, optimizer, scaler, device, batch_size=16):
    model.train()
    for i, (raw, target) in enumerate(fake_loader(50, batch_size)):
        x = prepare(raw).to(device, non_blocking=True)
        target = target.to(device)
        with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
            loss = F.cross_entropy(model(x), target, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if i % 10 == 0:
            print(f"iter {i} loss {loss.item():.3f}")


@torch.inference_mode()
def validate(model, device):
    model.eval()
    top1 = 0
    seen = 0
    for raw, target in fake_loader(10, 16):
        logits = model(prepare(raw).to(device))
        top1 += (logits.argmax(-1).cpu() == target).sum().item()
        seen += target.numel()
    return top1 / seen


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = ClipNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    for epoch in range(10):
        train_one_epoch(model, optimizer, scaler, device)
        print(f"epoch {epoch} top1 {validate(model, device):.3f}")


if __name__ == "__main__":
    main()
