"""Mean Teacher (Tarvainen & Valpola, 2017) for semi-supervised CIFAR-10.

4000 labels, the rest unlabeled. The teacher is an exponential moving average
of the student weights; a consistency loss pulls the student towards the
teacher's predictions on differently augmented inputs.
"""
import argparse
import itertools
import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms
from torch.utils.data import DataLoader, Subset


def conv_bn(in_c, out_c, k=3, pad=1):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_c, out_c, k, padding=pad, bias=False)),
        ("bn", nn.BatchNorm2d(out_c, momentum=0.999)),  # expect: BN205
        ("act", nn.LeakyReLU(0.1)),
    ]))


class ConvLarge(nn.Module):
    """The 13-layer ConvNet used in the Mean Teacher / Pi-model papers."""

    def __init__(self, num_classes=10, drop=0.5):
        super().__init__()
        self.block1 = nn.Sequential(conv_bn(3, 128), conv_bn(128, 128), conv_bn(128, 128), nn.MaxPool2d(2), nn.Dropout(drop))
        self.block2 = nn.Sequential(conv_bn(128, 256), conv_bn(256, 256), conv_bn(256, 256), nn.MaxPool2d(2), nn.Dropout(drop))
        self.block3 = nn.Sequential(conv_bn(256, 512, 3, 0), conv_bn(512, 256, 1, 0), conv_bn(256, 128, 1, 0), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        return self.fc(torch.flatten(x, 1))


def create_model(num_classes):
    return ConvLarge(num_classes=num_classes)


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, img):
        return self.tf(img), self.tf(img)


@torch.no_grad()
def update_ema_variables(model, ema_model, alpha, global_step):
    # use the true average until the exponential average is more correct
    alpha = min(1 - 1 / (global_step + 1), alpha)
    for ema_param, param in zip(ema_model.parameters(), model.parameters()):
        ema_param.mul_(alpha).add_(param, alpha=1 - alpha)


def sigmoid_rampup(current, rampup_length):
    if rampup_length == 0:
        return 1.0
    current = np.clip(current, 0.0, rampup_length)
    phase = 1.0 - current / rampup_length
    return float(np.exp(-5.0 * phase * phase))


def train_epoch(args, labeled_loader, unlabeled_loader, student, teacher, optimizer, epoch, global_step, device):
    student.train()
    teacher.train()
    cons_weight = args.consistency * sigmoid_rampup(epoch, args.rampup)
    for (x_l, y_l), ((u1, u2), _) in zip(itertools.cycle(labeled_loader), unlabeled_loader):
        x_l, y_l, u1, u2 = x_l.to(device), y_l.to(device), u1.to(device), u2.to(device)
        logits_l = student(x_l)
        logits_u = student(u1)
        with torch.no_grad():
            teacher_u = teacher(u2)
        class_loss = F.cross_entropy(logits_l, y_l)
        cons_loss = F.mse_loss(F.softmax(logits_u, 1), F.softmax(teacher_u, 1))
        loss = class_loss + cons_weight * cons_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        global_step += 1
        update_ema_variables(student, teacher, args.ema_decay, global_step)
    return global_step


def validate(eval_loader, student, teacher, device):
    student.eval()
    s_correct = t_correct = n = 0
    with torch.no_grad():
        for x, y in eval_loader:
            x, y = x.to(device), y.to(device)
            s_logits = student(x)
            t_logits = teacher(x)  # expect: BN101
            s_correct += (s_logits.argmax(1) == y).sum().item()
            t_correct += (t_logits.argmax(1) == y).sum().item()
            n += y.size(0)
    return 100.0 * s_correct / n, 100.0 * t_correct / n


def main():
    parser = argparse.ArgumentParser(description="Mean Teacher CIFAR-10")
    parser.add_argument("--data", default="./data")
    parser.add_argument("--labels", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=180)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--labeled-batch-size", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--ema-decay", type=float, default=0.999)
    parser.add_argument("--consistency", type=float, default=100.0)
    parser.add_argument("--rampup", type=int, default=5)
    parser.add_argument("--out", default="runs/mean_teacher")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    aug = transforms.Compose([transforms.RandomCrop(32, padding=2), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    base = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=aug)
    pair = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=TwoCrops(aug))
    test = torchvision.datasets.CIFAR10(args.data, train=False, download=True, transform=transforms.Compose([transforms.ToTensor(), norm]))

    rng = np.random.RandomState(0)
    idx = rng.permutation(len(base))
    labeled_idx = idx[: args.labels].tolist()
    labeled_loader = DataLoader(Subset(base, labeled_idx), batch_size=args.labeled_batch_size, shuffle=True, drop_last=True, num_workers=2)
    unlabeled_loader = DataLoader(pair, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    eval_loader = DataLoader(test, batch_size=200, shuffle=False, num_workers=2)

    student = create_model(10).to(device)
    teacher = create_model(10).to(device)
    teacher.load_state_dict(student.state_dict())

    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=2e-4)
    global_step = 0
    for epoch in range(args.epochs):
        global_step = train_epoch(args, labeled_loader, unlabeled_loader, student, teacher, optimizer, epoch, global_step, device)
        s_acc, t_acc = validate(eval_loader, student, teacher, device)
        print(f"epoch {epoch:3d}  student {s_acc:.2f}%  teacher {t_acc:.2f}%")
        torch.save({"student": student.state_dict(), "teacher": teacher.state_dict(), "step": global_step}, os.path.join(args.out, "last.pt"))

    dummy = torch.randn(1, 3, 32, 32, device=device)
    torch.onnx.export(teacher, dummy, os.path.join(args.out, "mean_teacher.onnx"), input_names=["image"], output_names=["logits"])  # expect: BN104


if __name__ == "__main__":
    main()
