"""Semi-supervised training with a mean teacher (EMA of the student).

The teacher is a frozen copy kept in eval mode; only the EMA update changes it.
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ssl_data import labeled_set, unlabeled_set, val_set  # project-local datasets


def conv_bn(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.LeakyReLU(0.1))


class CNN13(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 128), conv_bn(128, 128), nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn(128, 256), conv_bn(256, 256), nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn(256, 512), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


@torch.no_grad()
def ema_update(teacher, student, alpha):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s, alpha=1 - alpha)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    lab_loader = DataLoader(labeled_set, batch_size=32, shuffle=True, drop_last=True)
    unl_loader = DataLoader(unlabeled_set, batch_size=96, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256)

    student = CNN13()
    teacher = copy.deepcopy(student)
    teacher.eval()
    teacher.requires_grad_(False)

    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    consistency_weight, alpha = 10.0, 0.99
    step = 0
    for epoch in range(100):
        student.train()
        for (x_l, y_l), (x_u_weak, x_u_strong) in zip(lab_loader, itertools.cycle(unl_loader)):
            logits_l = student(x_l)
            logits_u = student(x_u_strong)
            with torch.no_grad():
                target = F.softmax(teacher(x_u_weak), dim=1)
            loss = F.cross_entropy(logits_l, y_l) + consistency_weight * F.mse_loss(
                F.softmax(logits_u, dim=1), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            ema_update(teacher, student, alpha)
            step += 1

        s_acc = evaluate(student, val_loader)
        t_acc = evaluate(teacher, val_loader)
        print(f"epoch {epoch}: student {s_acc:.4f}  teacher {t_acc:.4f}")

    torch.save(teacher.state_dict(), "mean_teacher.pt")


if __name__ == "__main__":
    main()
