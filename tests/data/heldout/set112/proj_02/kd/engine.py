import time

import torch

from .losses import kd_loss


def train_one_epoch(student, teacher, loader, optimizer, scheduler, device, temperature, alpha, log_every=100):
    student.train()
    teacher.eval()
    t0, seen, loss_sum = time.time(), 0, 0.0
    for step, (images, labels) in enumerate(loader):
        images = images.to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)
        with torch.no_grad():
            teacher_logits = teacher(images)
        student_logits = student(images)
        loss = kd_loss(student_logits, teacher_logits, labels, temperature, alpha)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += loss.item() * labels.size(0)
        seen += labels.size(0)
        if step % log_every == 0:
            print(f"  step {step:5d}  loss {loss.item():.4f}  lr {scheduler.get_last_lr()[0]:.4f}")
    return loss_sum / seen, time.time() - t0


@torch.no_grad()
def evaluate(model, loader, device, topk=(1, 5)):
    model.eval()
    correct = {k: 0 for k in topk}
    total = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        top = logits.topk(max(topk), dim=1).indices
        for k in topk:
            correct[k] += (top[:, :k] == labels[:, None]).any(dim=1).sum().item()
        total += labels.size(0)
    return {f"top{k}": 100.0 * correct[k] / total for k in topk}
