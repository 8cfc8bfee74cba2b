"""Mean Teacher with a WideResNet-28-2 on CIFAR-10 (250 labels per class).

As in the reference implementation, the EMA teacher runs in train mode during
training (its outputs are only consistency targets, no gradients); both
networks are switched to eval mode for validation.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms as T

BN_MOMENTUM = 0.001  # slow running stats, as in FixMatch / MixMatch WRNs


class BasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride, drop_rate=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes, momentum=BN_MOMENTUM)
        self.relu1 = nn.LeakyReLU(0.1, inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes, momentum=BN_MOMENTUM)
        self.relu2 = nn.LeakyReLU(0.1, inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, stride=1, padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.shortcut = None if self.equal_in_out else nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)

    def forward(self, x):
        o = self.relu1(self.bn1(x))
        y = self.conv1(o)
        y = self.relu2(self.bn2(y))
        if self.drop_rate > 0:
            y = F.dropout(y, p=self.drop_rate, training=self.training)
        y = self.conv2(y)
        return y + (x if self.equal_in_out else self.shortcut(o))


class WideResNet(nn.Module):
    def __init__(self, num_classes=10, depth=28, widen_factor=2):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.conv1 = nn.Conv2d(3, ch[0], 3, padding=1, bias=False)
        self.block1 = self._make_group(ch[0], ch[1], n, 1)
        self.block2 = self._make_group(ch[1], ch[2], n, 2)
        self.block3 = self._make_group(ch[2], ch[3], n, 2)
        self.bn = nn.BatchNorm2d(ch[3], momentum=BN_MOMENTUM)
        self.relu = nn.LeakyReLU(0.1, inplace=True)
        self.fc = nn.Linear(ch[3], num_classes)

    @staticmethod
    def _make_group(cin, cout, n, stride):
        return nn.Sequential(*[BasicBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        x = self.relu(self.bn(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


@torch.no_grad()
def ema_update(teacher, student, decay):
    for t_p, s_p in zip(teacher.parameters(), student.parameters()):
        t_p.mul_(decay).add_(s_p, alpha=1.0 - decay)
    for t_b, s_b in zip(teacher.buffers(), student.buffers()):
        t_b.copy_(s_b)


def consistency_weight(epoch, max_w, rampup):
    if rampup == 0:
        return max_w
    p = 1.0 - np.clip(epoch / rampup, 0.0, 1.0)
    return max_w * float(np.exp(-5.0 * p * p))


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(dim=1).cpu()
            correct += (pred == y).sum().item()
            total += y.size(0)
    return 100.0 * correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="./data")
    ap.add_argument("--n-labels", type=int, default=2500)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--bs-l", type=int, default=64)
    ap.add_argument("--bs-u", type=int, default=192)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--w-cons", type=float, default=50.0)
    ap.add_argument("--rampup", type=int, default=30)
    ap.add_argument("--out", default="runs/mt_wrn")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    weak = T.Compose([T.RandomCrop(32, padding=4, padding_mode="reflect"), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    full = datasets.CIFAR10(args.root, train=True, download=True, transform=weak)
    test = datasets.CIFAR10(args.root, train=False, download=True, transform=T.Compose([T.ToTensor(), T.Normalize(mean, std)]))
    perm = np.random.RandomState(1).permutation(len(full))
    labeled = Subset(full, perm[: args.n_labels].tolist())
    lab_loader = DataLoader(labeled, batch_size=args.bs_l, shuffle=True, drop_last=True, num_workers=4)
    unl_loader = DataLoader(full, batch_size=args.bs_u, shuffle=True, drop_last=True, num_workers=4)
    test_loader = DataLoader(test, batch_size=256, num_workers=4)

    student = WideResNet().to(device)
    teacher = WideResNet().to(device)
    teacher.load_state_dict(student.state_dict())
    opt = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)

    best = 0.0
    for epoch in range(args.epochs):
        student.train()
        teacher.train()
        w = consistency_weight(epoch, args.w_cons, args.rampup)
        lab_iter = iter(lab_loader)
        for x_u, _ in unl_loader:
            try:
                x_l, y_l = next(lab_iter)
            except StopIteration:
                lab_iter = iter(lab_loader)
                x_l, y_l = next(lab_iter)
            x_l, y_l, x_u = x_l.to(device), y_l.to(device), x_u.to(device)
            noisy_u = x_u + 0.15 * torch.randn_like(x_u)

            sup = F.cross_entropy(student(x_l), y_l)
            s_u = student(noisy_u)
            with torch.no_grad():
                t_u = teacher(x_u)
            cons = F.mse_loss(s_u.softmax(1), t_u.softmax(1))
            loss = sup + w * cons
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema_update(teacher, student, args.ema)

        s_acc = evaluate(student, test_loader, device)
        t_acc = evaluate(teacher, test_loader, device)
        print(f"epoch {epoch:3d}  w={w:.2f}  student {s_acc:.2f}  teacher {t_acc:.2f}")
        if t_acc > best:
            best = t_acc
            torch.save(teacher.state_dict(), os.path.join(args.out, "teacher_best.pt"))

    teacher.eval()
    torch.onnx.export(teacher, torch.randn(1, 3, 32, 32, device=device), os.path.join(args.out, "teacher.onnx"), opset_version=17)


if __name__ == "__main__":
    main()
