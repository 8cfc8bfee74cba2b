"""Knowledge distillation smoke benchmark: WRN-style teacher -> small student on synthetic CIFAR-shaped data."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_TOTAL = 6000
N_VAL = 879
N_TRAIN = N_TOTAL - N_VAL
NUM_CLASSES = 10


def block(in_c, out_c, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_c),
        nn.ReLU(inplace=True),
    )


class Teacher(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        w = 16 * width
        self.features = nn.Sequential(
            block(3, w), block(w, w), block(w, 2 * w, 2), block(2 * w, 2 * w),
            block(2 * w, 4 * w, 2), block(4 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(4 * w, NUM_CLASSES)

    def forward(self, x):
        return self.fc(self.features(x))


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            block(3, 32), block(32, 64, 2), block(64, 128, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(128, NUM_CLASSES)

    def forward(self, x):
        return self.fc(self.features(x))


def kd_loss(s_logits, t_logits, y, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(s_logits / T, 1), F.softmax(t_logits / T, 1), reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s_logits, y)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher-ckpt", default="teacher_wrn.pt")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--temperature", type=float, default=4.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    g = torch.Generator().manual_seed(0)
    train_set = TensorDataset(torch.randn(N_TRAIN, 3, 32, 32, generator=g),
                              torch.randint(0, NUM_CLASSES, (N_TRAIN,), generator=g))
    val_set = TensorDataset(torch.randn(N_VAL, 3, 32, 32, generator=g),
                            torch.randint(0, NUM_CLASSES, (N_VAL,), generator=g))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(val_set, batch_size=256)

    teacher = Teacher().to(device)
    teacher.load_state_dict(torch.load(args.teacher_ckpt, map_location=device))
    teacher.requires_grad_(False)  # expect: BN105

    student = Student().to(device)
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 45], gamma=0.1)

    best = 0.0
    for epoch in range(args.epochs):
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            loss = kd_loss(s_logits, t_logits, y, T=args.temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = evaluate(student, val_loader, device)  # expect: BN103
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {acc:.2%}")
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pt")
    print(f"best student accuracy {best:.2%}")


if __name__ == "__main__":
    main()
