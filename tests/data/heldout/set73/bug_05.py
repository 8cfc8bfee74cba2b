"""Knowledge distillation: a ResNet-style teacher into a narrow student."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetLike(nn.Module):
    def __init__(self, widths, num_classes=100):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        blocks = []
        cin = widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, stride=1 if i == 0 else 2))
            blocks.append(BasicBlock(w, w))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def kd_loss(student_logits, teacher_logits, targets, temperature, alpha):
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
    ) * temperature ** 2
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1.0 - alpha) * hard


def evaluate(student, loader, device):
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = student(x.to(device)).argmax(dim=1)  # expect: BN101
            correct += (pred.cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def build_loaders(root, batch_size):
    mean, std = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = datasets.CIFAR100(root, train=True, download=False, transform=train_tf)
    test_set = datasets.CIFAR100(root, train=False, download=False, transform=test_tf)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=4,
                       drop_last=True),
            DataLoader(test_set, batch_size=500, num_workers=4))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="data")
    p.add_argument("--teacher", default="checkpoints/teacher_r34.pt")
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.9)
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, test_loader = build_loaders(args.root, args.batch_size)

    teacher = ResNetLike([64, 128, 256, 512]).to(device)
    teacher.load_state_dict(torch.load(args.teacher, map_location=device))
    teacher.eval()
    teacher.requires_grad_(False)

    student = ResNetLike([16, 32, 64, 128]).to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9,
                                weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [60, 90], 0.1)

    for epoch in range(args.epochs):
        student.train  # expect: BN102
        seen, running = 0, 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            loss = kd_loss(s_logits, t_logits, y, args.temperature, args.alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * y.size(0)
            seen += y.size(0)
        scheduler.step()
        print(f"epoch {epoch:3d}  kd loss {running / seen:.4f}")

    teacher.eval()
    acc = evaluate(student, test_loader, device)
    print(f"student top-1: {acc:.4f}")
    torch.save(student.state_dict(), "checkpoints/student_kd.pt")


if __name__ == "__main__":
    main()
