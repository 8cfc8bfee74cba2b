"""Mean-teacher semi-supervised gesture recognition from EMG armband recordings.

Only N_LABELLED windows carry labels; the rest of the recordings are used through a
consistency loss against an EMA teacher.  Windows are (batch, time, electrodes).
"""
import copy
import itertools

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset

HP = {
    "data": "data/emg_myo/windows.npz",
    "n_labelled": 500,
    "batch_labelled": 32,
    "batch_unlabelled": 128,
    "epochs": 80,
    "lr": 1e-3,
    "ema_decay": 0.99,
    "consistency_weight": 5.0,
    "noise_std": 0.05,
}


class EMGNet(nn.Module):
    def __init__(self, n_electrodes=8, n_gestures=7):
        super().__init__()
        self.conv1 = nn.Conv1d(n_electrodes, 64, kernel_size=7, padding=3, bias=False)
        self.bn1 = nn.BatchNorm1d(64, 1e-3, momentum=0.01)
        self.conv2 = nn.Conv1d(64, 64, kernel_size=5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(64, 1e-3, momentum=0.01)
        self.conv3 = nn.Conv1d(64, 128, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm1d(128, 1e-3, momentum=0.01)
        self.fc = nn.Linear(128, n_gestures)

    def forward(self, x):                       # x: (B, T, electrodes)
        x = x.permute(0, 2, 1).contiguous()     # (B, electrodes, T)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool1d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(x.mean(-1))


@torch.no_grad()
def update_ema(teacher, student, decay):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s.detach(), alpha=1 - decay)
    for t, s in zip(teacher.buffers(), student.buffers()):
        t.copy_(s)


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    correct = total = 0
    for x, y in loader:
        correct += (net(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def main(hp=HP):
    blob = np.load(hp["data"])
    x = torch.from_numpy(blob["x"].astype(np.float32))
    y = torch.from_numpy(blob["y"].astype(np.int64))
    is_test = torch.from_numpy(blob["session"] == blob["session"].max())
    train_idx = torch.nonzero(~is_test).squeeze(1)
    test_idx = torch.nonzero(is_test).squeeze(1)
    full = TensorDataset(x, y)

    g = torch.Generator().manual_seed(0)
    perm = train_idx[torch.randperm(len(train_idx), generator=g)]
    labelled = Subset(full, perm[:hp["n_labelled"]].tolist())
    unlabelled = Subset(full, perm[hp["n_labelled"]:].tolist())

    lab_loader = DataLoader(labelled, batch_size=hp["batch_labelled"], shuffle=True, drop_last=True)
    unl_loader = DataLoader(unlabelled, batch_size=hp["batch_unlabelled"], shuffle=True, drop_last=True)
    test_loader = DataLoader(Subset(full, test_idx.tolist()), batch_size=512)

    student = EMGNet()
    teacher = copy.deepcopy(student)   # updated only through update_ema, never by the optimizer
    opt = torch.optim.Adam(student.parameters(), lr=hp["lr"])

    for epoch in range(hp["epochs"]):
        student.train()
        teacher.train()
        for (xl, yl), (xu, _) in zip(itertools.cycle(lab_loader), unl_loader):
            noisy_s = xu + hp["noise_std"] * torch.randn_like(xu)
            noisy_t = xu + hp["noise_std"] * torch.randn_like(xu)
            with torch.no_grad():
                target = F.softmax(teacher(noisy_t), dim=1)
            sup = F.cross_entropy(student(xl), yl)
            cons = F.mse_loss(F.softmax(student(noisy_s), dim=1), target)
            loss = sup + hp["consistency_weight"] * min(1.0, epoch / 20) * cons
            opt.zero_grad()
            loss.backward()
            opt.step()
            update_ema(teacher, student, hp["ema_decay"])

        if (epoch + 1) % 10 == 0:
            print(f"epoch {epoch + 1}: student {evaluate(student, test_loader):.3f} "
                  f"teacher {evaluate(teacher, test_loader):.3f}")

    teacher.eval()
    torch.save(teacher.state_dict(), "emg_mean_teacher.pt")


if __name__ == "__main__":
    main()
