"""
Semi-supervised sound event detection (DCASE task 4 style) with a mean-teacher CRNN.

Labelled clips carry frame-level targets; unlabelled clips only contribute a
consistency loss between student and EMA teacher predictions.
"""
import copy
import itertools
import os

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

HP = {
    "labelled_h5": "features/synth_strong.h5",
    "unlabelled_h5": "features/unlabel_in_domain.h5",
    "valid_h5": "features/validation.h5",
    "n_classes": 10,
    "batch_labelled": 12,
    "batch_unlabelled": 24,
    "steps": 40000,
    "ema_decay": 0.999,
    "consistency_weight": 2.0,
    "lr": 1e-3,
    "eval_every": 2000,
}


class H5Clips(Dataset):
    def __init__(self, path, with_labels=True):
        self.path, self.with_labels = path, with_labels
        with h5py.File(path, "r") as f:
            self.n = f["mel"].shape[0]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with h5py.File(self.path, "r") as f:
            mel = torch.from_numpy(f["mel"][i]).float().unsqueeze(0)   # (1, 128, 626)
            if self.with_labels:
                return mel, torch.from_numpy(f["strong"][i]).float()   # (156, C)
            return mel, torch.zeros(1)


class CRNN(nn.Module):
    def __init__(self, n_classes, hidden=128):
        super().__init__()
        chans = [1, 16, 32, 64, 128, 128]
        pools = [(2, 2), (2, 2), (2, 1), (2, 1), (2, 1)]
        layers = []
        for cin, cout, pool in zip(chans[:-1], chans[1:], pools):
            layers += [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01),
                nn.ReLU(),
                nn.Dropout(0.5),
                nn.AvgPool2d(pool),
            ]
        self.cnn = nn.Sequential(*layers)
        self.rnn = nn.GRU(128 * 4, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.rnn_bn = nn.BatchNorm1d(2 * hidden, momentum=0.01)
        self.frame_fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, mel):
        x = self.cnn(mel)                                  # (N, 128, 4, T/4)
        x = x.flatten(1, 2).transpose(1, 2)                # (N, T/4, 512)
        h, _ = self.rnn(x)                                 # (N, T/4, 2H)
        h = self.rnn_bn(h.transpose(1, 2)).transpose(1, 2)
        return torch.sigmoid(self.frame_fc(h))             # (N, T/4, C)


@torch.no_grad()
def update_ema(teacher, student, decay):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s.detach(), alpha=1 - decay)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


@torch.no_grad()
def frame_f1(model, loader, device, thr=0.5):
    model.eval()
    tp = fp = fn = 0.0
    for mel, strong in loader:
        pred = (model(mel.to(device)) > thr).float().cpu()
        tp += (pred * strong).sum().item()
        fp += (pred * (1 - strong)).sum().item()
        fn += ((1 - pred) * strong).sum().item()
    model.train()
    return 2 * tp / max(2 * tp + fp + fn, 1.0)


def infinite(loader):
    return itertools.cycle(loader)


def main(hp=HP):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    lab = DataLoader(H5Clips(hp["labelled_h5"]), batch_size=hp["batch_labelled"], shuffle=True,
                     num_workers=4, drop_last=True)
    unl = DataLoader(H5Clips(hp["unlabelled_h5"], with_labels=False), batch_size=hp["batch_unlabelled"],
                     shuffle=True, num_workers=4, drop_last=True)
    val = DataLoader(H5Clips(hp["valid_h5"]), batch_size=32, num_workers=4)

    student = CRNN(hp["n_classes"]).to(device)
    teacher = copy.deepcopy(student)   # updated only through update_ema()
    opt = torch.optim.Adam(student.parameters(), lr=hp["lr"], betas=(0.9, 0.999))

    student.train()
    teacher.train()
    lab_it, unl_it = infinite(lab), infinite(unl)
    for step in range(1, hp["steps"] + 1):
        x_l, y_l = next(lab_it)
        x_u, _ = next(unl_it)
        x = torch.cat([x_l, x_u]).to(device)
        y_l = y_l.to(device)
        n_l = x_l.size(0)

        noisy = x + 0.1 * torch.randn_like(x)
        s_out = student(noisy)
        with torch.no_grad():
            t_out = teacher(x)

        sup = F.binary_cross_entropy(s_out[:n_l], y_l)
        ramp = min(1.0, step / 10000)
        cons = F.mse_loss(s_out, t_out)
        loss = sup + hp["consistency_weight"] * ramp * cons
        opt.zero_grad()
        loss.backward()
        opt.step()
        update_ema(teacher, student, hp["ema_decay"])

        if step % hp["eval_every"] == 0:
            f_student = frame_f1(student, val, device)
            f_teacher = frame_f1(teacher, val, device)
            print(f"step {step}: sup {sup.item():.4f} cons {cons.item():.4f} "
                  f"F1 student {f_student:.3f} teacher {f_teacher:.3f}")
            os.makedirs("exp/mean_teacher", exist_ok=True)
            torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()},
                       f"exp/mean_teacher/step{step}.pt")


if __name__ == "__main__":
    main()
