"""Mean-teacher utilities."""
import copy
import math

import torch
import torch.nn.functional as F


def build_teacher(student):
    """The teacher is a frozen EMA copy that always runs in eval mode."""
    teacher = copy.deepcopy(student)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


@torch.no_grad()
def update_teacher(teacher, student, decay):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s.detach(), alpha=1 - decay)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


def sigmoid_rampup(epoch, rampup):
    if rampup == 0:
        return 1.0
    t = min(max(epoch, 0.0), rampup) / rampup
    return float(math.exp(-5.0 * (1.0 - t) ** 2))


def consistency_loss(student_logits, teacher_logits):
    return F.mse_loss(student_logits.softmax(-1), teacher_logits.softmax(-1))


def build_optimizer(model, lr, weight_decay):
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                             lr=lr, weight_decay=weight_decay)


def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for tokens, labels, _ in loader:
            logits = model(tokens.to(device))
            correct += (logits.argmax(-1).cpu() == labels).sum().item()
            n += labels.numel()
    return correct / max(n, 1)
