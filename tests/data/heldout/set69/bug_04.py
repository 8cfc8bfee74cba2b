"""Knowledge distillation: WideResNet-28-4 teacher -> small ResNet student on CIFAR-10.

Besides the labelled CIFAR-10 training set, the student also sees a pool of
synthetic images (per-channel Gaussian noise matched to CIFAR statistics)
labelled only by the teacher's soft targets, which helps on the low-data
setting (--labelled-fraction < 1).

    python bug_04.py --teacher ckpt/wrn28_4.pth --labelled-fraction 0.2
"""
import argparse
import itertools
import logging
import os
import time
from collections import defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset
import torchvision
import torchvision.transforms as T

logger = logging.getLogger("kd")

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
NUM_SYNTHETIC = 20_481
SYNTH_BATCH = 256


class WideBasic(nn.Module):
    def __init__(self, in_planes, planes, stride, dropout=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False)

    def forward(self, x):
        o = F.relu(self.bn1(x))
        y = self.conv1(o)
        y = self.conv2(self.dropout(F.relu(self.bn2(y))))
        return y + (x if self.shortcut is None else self.shortcut(o))


class WideResNet(nn.Module):
    def __init__(self, depth=28, widen=4, num_classes=10):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
        blocks = []
        in_planes = widths[0]
        for i, stride in enumerate((1, 2, 2)):
            for j in range(n):
                blocks.append(WideBasic(in_planes, widths[i + 1], stride if j == 0 else 1))
                in_planes = widths[i + 1]
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        x = self.blocks(self.conv(x))
        x = F.relu(self.bn(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class StudentBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = nn.Identity()
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.body(x) + self.skip(x))


class Student(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        self.stages = nn.Sequential(
            StudentBlock(32, 64, 1),
            StudentBlock(64, 128, 2),
            StudentBlock(128, 256, 2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(256, 128),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.head(self.pool(self.stages(self.stem(x))))


def kd_loss(student_logits, teacher_logits, temperature):
    log_p = F.log_softmax(student_logits / temperature, dim=1)
    q = F.softmax(teacher_logits / temperature, dim=1)
    return F.kl_div(log_p, q, reduction="batchmean") * temperature ** 2


def expected_calibration_error(probs, labels, n_bins=15):
    conf, pred = probs.max(1)
    acc = pred.eq(labels).float()
    edges = torch.linspace(0, 1, n_bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (conf[in_bin].mean() - acc[in_bin].mean()).abs()
    return ece.item()


def evaluate(model, loader, device):
    model.eval()
    all_probs, all_labels = [], []
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            all_probs.append(logits.softmax(1).cpu())
            all_labels.append(y)
    probs = torch.cat(all_probs)
    labels = torch.cat(all_labels)
    top1 = probs.argmax(1).eq(labels).float().mean().item() * 100
    return {"top1": top1, "ece": expected_calibration_error(probs, labels)}


def smooth_noise_(pool, kernel=3):
    """Low-pass the noise in place so it has image-like local correlation."""
    for start in range(0, pool.size(0), 4096):
        chunk = pool[start:start + 4096]
        chunk.copy_(F.avg_pool2d(chunk, kernel, stride=1, padding=kernel // 2))
        chunk.div_(chunk.flatten(1).std(1).view(-1, 1, 1, 1))
    return pool


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--epochs", type=int, default=240)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--alpha", type=float, default=0.9, help="weight of the KD term")
    ap.add_argument("--synthetic-weight", type=float, default=0.5)
    ap.add_argument("--labelled-fraction", type=float, default=1.0)
    ap.add_argument("--milestones", type=int, nargs="+", default=[150, 180, 210])
    ap.add_argument("--out", default="runs/kd")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(message)s")
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize(CIFAR_MEAN, CIFAR_STD)
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    test_tf = T.Compose([T.ToTensor(), norm])
    full_train = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR10(args.data, train=False, download=True, transform=test_tf)
    if args.labelled_fraction < 1.0:
        keep = np.random.permutation(len(full_train))[: int(args.labelled_fraction * len(full_train))]
        train_set = Subset(full_train, keep.tolist())
    else:
        train_set = full_train
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    g = torch.Generator().manual_seed(args.seed)
    synth_pool = torch.randn(NUM_SYNTHETIC, 3, 32, 32, generator=g)
    smooth_noise_(synth_pool)
    synth_set = TensorDataset(synth_pool)
    synth_loader = DataLoader(synth_set, batch_size=SYNTH_BATCH, shuffle=True, num_workers=2)  # expect: BN302
    test_loader = DataLoader(test_set, batch_size=512, shuffle=False, num_workers=4)

    teacher = WideResNet().to(device)
    state = torch.load(args.teacher, map_location="cpu")
    teacher.load_state_dict(state.get("model", state))
    teacher.requires_grad_(False)  # expect: BN105
    logger.info("teacher loaded from %s", args.teacher)

    student = Student().to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=args.milestones, gamma=0.1)

    history = defaultdict(list)
    best = 0.0
    synth_iter = itertools.cycle(synth_loader)
    for epoch in range(args.epochs):
        student.train()
        t0 = time.time()
        sums = defaultdict(float)
        n_batches = 0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            (xs,) = next(synth_iter)
            xs = xs.to(device, non_blocking=True)

            with torch.no_grad():
                t_logits = teacher(x)
                t_logits_s = teacher(xs)

            s_logits = student(x)
            s_logits_s = student(xs)
            ce = F.cross_entropy(s_logits, y)
            kd = kd_loss(s_logits, t_logits, args.temperature)
            kd_s = kd_loss(s_logits_s, t_logits_s, args.temperature)
            loss = (1 - args.alpha) * ce + args.alpha * kd + args.synthetic_weight * kd_s

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

            sums["loss"] += loss.item()
            sums["ce"] += ce.item()
            sums["kd"] += kd.item()
            sums["kd_synth"] += kd_s.item()
            n_batches += 1
        scheduler.step()

        metrics = evaluate(student, test_loader, device)
        for k, v in sums.items():
            history[k].append(v / max(1, n_batches))
        history["top1"].append(metrics["top1"])
        history["ece"].append(metrics["ece"])
        logger.info("epoch %3d | loss %.4f ce %.4f kd %.4f kd_s %.4f | top1 %.2f ece %.4f | lr %.4g | %.0fs",
                    epoch, history["loss"][-1], history["ce"][-1], history["kd"][-1], history["kd_synth"][-1],
                    metrics["top1"], metrics["ece"], scheduler.get_last_lr()[0], time.time() - t0)
        if metrics["top1"] > best:
            best = metrics["top1"]
            torch.save({"epoch": epoch, "model": student.state_dict(), "top1": best},
                       os.path.join(args.out, "student_best.pth"))

    student.eval  # expect: BN102
    final = evaluate(student, test_loader, device)
    logger.info("final student top1 %.2f (best %.2f), ECE %.4f", final["top1"], best, final["ece"])
    np.savez(os.path.join(args.out, "history.npz"), **{k: np.asarray(v) for k, v in history.items()})
    torch.save(student.state_dict(), os.path.join(args.out, "student_last.pth"))


if __name__ == "__main__":
    main()
