"""Knowledge distillation: fine-tuned ResNet-34 teacher -> small CNN student on CIFAR-100."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


@dataclass
class KDConfig:
    data_root: str = "./data"
    teacher_ckpt: str = "checkpoints/resnet34_cifar100.pth"
    epochs: int = 60
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    temperature: float = 4.0
    alpha: float = 0.9
    num_workers: int = 4


CIFAR_MEAN = (0.5071, 0.4865, 0.4409)
CIFAR_STD = (0.2673, 0.2564, 0.2762)


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class StudentNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, 32),
            conv_block(32, 64),
            nn.MaxPool2d(2),
            conv_block(64, 128),
            nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def load_teacher(path, device):
    teacher = models.resnet34(num_classes=100)
    # CIFAR stem
    teacher.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    teacher.maxpool = nn.Identity()
    teacher.load_state_dict(torch.load(path, map_location="cpu"))
    teacher.to(device)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=1),
        F.softmax(teacher_logits / T, dim=1),
        reduction="batchmean",
    ) * (T * T)
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1.0 - alpha) * hard


@torch.no_grad()
def evaluate(model, loader, device):
    correct = total = 0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        logits = model(images)  # expect: BN101
        correct += (logits.argmax(1) == targets).sum().item()
        total += targets.size(0)
    return 100.0 * correct / total


def main(cfg: KDConfig = KDConfig()):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = datasets.CIFAR100(cfg.data_root, train=True, download=True, transform=train_tf)
    test_set = datasets.CIFAR100(cfg.data_root, train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True,
                              num_workers=cfg.num_workers, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, shuffle=False, num_workers=cfg.num_workers)

    teacher = load_teacher(cfg.teacher_ckpt, device)
    student = StudentNet().to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                weight_decay=cfg.weight_decay, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=len(train_loader))

    best = 0.0
    for epoch in range(cfg.epochs):
        student.train()
        total_loss = 0.0
        for images, targets in train_loader:
            images, targets = images.to(device), targets.to(device)
            with torch.no_grad():
                t_logits = teacher(images)
            s_logits = student(images)
            loss = kd_loss(s_logits, t_logits, targets, cfg.temperature, cfg.alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item()

        acc = evaluate(student, test_loader, device)
        print(f"[{epoch + 1}/{cfg.epochs}] loss={total_loss / len(train_loader):.4f} acc={acc:.2f}")
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pth")
    print(f"best student top-1: {best:.2f}")


if __name__ == "__main__":
    main()
