"""Mean-teacher semi-supervised training (EMA teacher, consistency loss)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

CONSISTENCY_WEIGHT = 10.0
EMA_DECAY = 0.999


def build_net(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.LeakyReLU(0.1),
        nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.1),
        nn.Conv2d(128, 128, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, num_classes),
    )


@torch.no_grad()
def update_ema(student, teacher, decay=EMA_DECAY):
    for ps, pt in zip(student.parameters(), teacher.parameters()):
        pt.mul_(decay).add_(ps.detach(), alpha=1 - decay)
    for bs, bt in zip(student.buffers(), teacher.buffers()):
        bt.copy_(bs)


def train_step(student, teacher, optimizer, labeled, unlabeled, weak_aug, strong_aug):
    x_l, y_l = labeled
    with torch.no_grad():
        # teacher sees a differently-augmented view; its outputs are soft targets
        t_probs = F.softmax(teacher(weak_aug(unlabeled)), dim=1)
    s_logits_l = student(x_l)
    s_logits_u = student(strong_aug(unlabeled))
    sup = F.cross_entropy(s_logits_l, y_l)
    cons = F.mse_loss(F.softmax(s_logits_u, dim=1), t_probs)
    loss = sup + CONSISTENCY_WEIGHT * cons
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    update_ema(student, teacher)
    return sup.item(), cons.item()


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    correct = total = 0
    for x, y in loader:
        correct += (net(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / max(total, 1)


def fit(labeled_loader, unlabeled_loader, test_loader, weak_aug, strong_aug, epochs=100):
    student = build_net()
    teacher = copy.deepcopy(student)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.03, momentum=0.9, nesterov=True)

    for epoch in range(epochs):
        student.train()
        teacher.train()
        for labeled, (unlabeled, _) in zip(labeled_loader, unlabeled_loader):
            sup, cons = train_step(student, teacher, optimizer, labeled, unlabeled,
                                   weak_aug, strong_aug)
        s_acc = evaluate(student, test_loader)
        t_acc = evaluate(teacher, test_loader)
        print(f"epoch {epoch}: sup={sup:.3f} cons={cons:.4f} student={s_acc:.4f} teacher={t_acc:.4f}")
    return teacher
