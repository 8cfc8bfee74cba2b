"""Mean Teacher (Tarvainen & Valpola, 2017) for semi-supervised CIFAR-10.

The teacher is an exponential moving average of the student. Like in the
reference implementation, the teacher runs in *training* mode during the
training step (its BN uses batch statistics, same as the student), under
no_grad, and only produces consistency targets.
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.LeakyReLU(0.1))


class ConvLarge(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            conv_bn_relu(3, 128), conv_bn_relu(128, 128), conv_bn_relu(128, 128),
            nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn_relu(128, 256), conv_bn_relu(256, 256), conv_bn_relu(256, 256),
            nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn_relu(256, 512), conv_bn_relu(512, 256), conv_bn_relu(256, 128),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.net(x))


@torch.no_grad()
def update_ema(teacher, student, alpha):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s, alpha=1 - alpha)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


def sigmoid_rampup(step, length):
    if length == 0:
        return 1.0
    p = min(step, length) / length
    return float(torch.exp(torch.tensor(-5.0 * (1 - p) ** 2)))


def train(student, labeled_loader, unlabeled_loader, test_loader, epochs=300,
          ema_decay=0.99, cons_weight=100.0, rampup=5 * 390, device="cuda"):
    student = student.to(device)
    teacher = copy.deepcopy(student)
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=2e-4)
    step = 0
    for epoch in range(epochs):
        student.train()
        teacher.train()
        for (xl, yl), (xu_s, xu_t) in zip(itertools.cycle(labeled_loader), unlabeled_loader):
            xl, yl = xl.to(device), yl.to(device)
            xu_s, xu_t = xu_s.to(device), xu_t.to(device)

            logits_l = student(xl)
            logits_u = student(xu_s)
            with torch.no_grad():
                target = F.softmax(teacher(xu_t), dim=1)

            class_loss = F.cross_entropy(logits_l, yl)
            cons_loss = F.mse_loss(F.softmax(logits_u, dim=1), target)
            loss = class_loss + cons_weight * sigmoid_rampup(step, rampup) * cons_loss

            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            update_ema(teacher, student, min(1 - 1 / (step + 1), ema_decay))

        student.eval()
        teacher.eval()
        acc_s = acc_t = n = 0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.to(device), y.to(device)
                acc_s += (student(x).argmax(1) == y).sum().item()
                acc_t += (teacher(x).argmax(1) == y).sum().item()
                n += y.numel()
        print(f"epoch {epoch}: student {acc_s / n:.4f}  teacher {acc_t / n:.4f}")
    return student, teacher
