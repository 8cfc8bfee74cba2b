"""Mean Teacher semi-supervised learning on CIFAR-10 with 4000 labels (Tarvainen & Valpola, 2017)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


def cnn13(num_classes=10):
    def cbr(i, o, k=3, p=1):
        return [nn.Conv2d(i, o, k, padding=p, bias=False), nn.BatchNorm2d(o), nn.LeakyReLU(0.1)]

    return nn.Sequential(
        *cbr(3, 128), *cbr(128, 128), *cbr(128, 128), nn.MaxPool2d(2), nn.Dropout(0.5),
        *cbr(128, 256), *cbr(256, 256), *cbr(256, 256), nn.MaxPool2d(2), nn.Dropout(0.5),
        *cbr(256, 512, 3, 0), *cbr(512, 256, 1, 0), *cbr(256, 128, 1, 0),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes),
    )


def update_teacher(student, teacher, alpha, step):
    alpha = min(1 - 1 / (step + 1), alpha)
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.data.mul_(alpha).add_(s.data, alpha=1 - alpha)


def sigmoid_rampup(epoch, length=80):
    phase = 1.0 - np.clip(epoch / length, 0.0, 1.0)
    return float(np.exp(-5.0 * phase * phase))


def accuracy(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def cycle(loader):
    while True:
        yield from loader


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--labels", type=int, default=4000)
    p.add_argument("--epochs", type=int, default=180)
    p.add_argument("--ema-decay", type=float, default=0.99)
    p.add_argument("--consistency", type=float, default=100.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))
    aug = transforms.Compose([transforms.RandomCrop(32, padding=2), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    full = datasets.CIFAR10("./data", train=True, download=True, transform=aug)
    rng = np.random.default_rng(0)
    labeled_idx = rng.choice(len(full), args.labels, replace=False)
    labeled = Subset(full, labeled_idx.tolist())
    lab_loader = cycle(DataLoader(labeled, batch_size=32, shuffle=True, drop_last=True, num_workers=4))
    unl_loader = DataLoader(full, batch_size=96, shuffle=True, drop_last=True, num_workers=8)
    test_loader = DataLoader(datasets.CIFAR10("./data", train=False, transform=transforms.Compose([transforms.ToTensor(), norm])),
                             batch_size=500)

    student = cnn13().to(device)
    teacher = cnn13().to(device)
    teacher.load_state_dict(student.state_dict())
    for param in teacher.parameters():
        param.detach_()

    opt = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=2e-4)
    step = 0
    for epoch in range(args.epochs):
        student.train()
        teacher.train()
        w = args.consistency * sigmoid_rampup(epoch)
        for (xu_s, _), (xu_t, _) in zip(unl_loader, unl_loader):
            xl, yl = next(lab_loader)
            xl, yl = xl.to(device), yl.to(device)
            xs = torch.cat([xl, xu_s.to(device)])
            logits = student(xs)
            with torch.no_grad():
                t_logits = teacher(torch.cat([xl, xu_t.to(device)]))
            class_loss = F.cross_entropy(logits[: xl.size(0)], yl)
            cons_loss = F.mse_loss(F.softmax(logits, 1), F.softmax(t_logits, 1))
            loss = class_loss + w * cons_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            update_teacher(student, teacher, args.ema_decay, step)

        s_acc = accuracy(student, test_loader, device)
        t_acc = accuracy(teacher, test_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} (cons w {w:.1f}) student {s_acc:.2%} teacher {t_acc:.2%}")
    torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "mean_teacher.pt")


if __name__ == "__main__":
    main()
