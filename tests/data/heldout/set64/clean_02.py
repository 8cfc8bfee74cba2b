"""Distil a large TC-ResNet keyword spotter into a small one (Speech Commands v2)."""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset

CFG = {
    "data_root": "./speech_commands",
    "teacher_ckpt": "./checkpoints/tcresnet14_x1.5.pt",
    "n_mfcc": 40,
    "num_classes": 35,
    "batch_size": 96,
    "epochs": 60,
    "lr": 3e-3,
    "temperature": 4.0,
    "alpha": 0.7,
}


class TCBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, out_ch, 9, stride=stride, padding=4, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, 9, padding=4, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm1d(out_ch),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class TCResNet(nn.Module):
    """Temporal convolution ResNet: MFCC bins are channels, time is the length axis."""

    def __init__(self, n_mfcc, num_classes, widths=(16, 24, 32, 48), width_mult=1.0):
        super().__init__()
        widths = [int(w * width_mult) for w in widths]
        self.stem = nn.Conv1d(n_mfcc, widths[0], 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm1d(widths[0])
        blocks = []
        for in_ch, out_ch in zip(widths[:-1], widths[1:]):
            blocks.append(TCBlock(in_ch, out_ch, stride=2))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(widths[-1], num_classes)

    def forward(self, mfcc):
        x = F.relu(self.stem_bn(self.stem(mfcc)))
        x = self.blocks(x)
        return self.head(x.mean(dim=-1))


class SpeechCommandsMFCC(Dataset):
    def __init__(self, root, subset, n_mfcc):
        self.ds = torchaudio.datasets.SPEECHCOMMANDS(root, download=True, subset=subset)
        self.labels = sorted({os.path.basename(os.path.dirname(p)) for p in self.ds._walker})
        self.mfcc = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=n_mfcc,
                                               melkwargs={"n_fft": 480, "hop_length": 160, "n_mels": 64})

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, idx):
        wav, _, label, *_ = self.ds[idx]
        wav = F.pad(wav, (0, 16000 - wav.shape[-1]))
        return self.mfcc(wav).squeeze(0), self.labels.index(label)


def kd_loss(student_logits, teacher_logits, targets, temperature, alpha):
    soft = F.kl_div(F.log_softmax(student_logits / temperature, dim=1),
                    F.softmax(teacher_logits / temperature, dim=1),
                    reduction="batchmean") * temperature ** 2
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1.0 - alpha) * hard


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for mfcc, target in loader:
            mfcc, target = mfcc.to(device), target.to(device)
            pred = model(mfcc).argmax(dim=1)
            correct += (pred == target).sum().item()
            total += target.numel()
    return correct / max(total, 1)


def main(cfg):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = SpeechCommandsMFCC(cfg["data_root"], "training", cfg["n_mfcc"])
    val_set = SpeechCommandsMFCC(cfg["data_root"], "validation", cfg["n_mfcc"])
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=6)
    val_loader = DataLoader(val_set, batch_size=256, num_workers=6)

    teacher = TCResNet(cfg["n_mfcc"], cfg["num_classes"], width_mult=1.5)
    teacher.load_state_dict(torch.load(cfg["teacher_ckpt"], map_location="cpu"))
    teacher.to(device).eval()
    for p in teacher.parameters():
        p.requires_grad = False
    print(f"teacher val acc: {evaluate(teacher, val_loader, device):.4f}")

    student = TCResNet(cfg["n_mfcc"], cfg["num_classes"], width_mult=0.5).to(device)
    optimizer = torch.optim.AdamW(student.parameters(), lr=cfg["lr"], weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg["epochs"])

    best = 0.0
    for epoch in range(cfg["epochs"]):
        student.train()
        for mfcc, target in train_loader:
            mfcc, target = mfcc.to(device), target.to(device)
            with torch.no_grad():
                teacher_logits = teacher(mfcc)
            student_logits = student(mfcc)
            loss = kd_loss(student_logits, teacher_logits, target, cfg["temperature"], cfg["alpha"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(student, val_loader, device)
        print(f"epoch {epoch:03d} loss {loss.item():.4f} val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pt")


if __name__ == "__main__":
    main(CFG)
