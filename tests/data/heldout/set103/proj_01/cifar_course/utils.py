"""Small helpers: metrics, evaluation, checkpoints."""
import os

import torch


class AverageMeter:
    """Computes and stores the average and current value."""

    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = 0.0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        return f"{self.name} {self.val:.4f} ({self.avg:.4f})"


def accuracy(output, target):
    """Top-1 accuracy in percent."""
    pred = output.argmax(dim=1)
    return 100.0 * (pred == target).float().mean().item()


@torch.no_grad()
def evaluate(model, loader, criterion, device):
    losses = AverageMeter("loss")
    top1 = AverageMeter("acc@1")
    for images, target in loader:
        images, target = images.to(device), target.to(device)
        outputs = model(images)  # expect: BN101
        losses.update(criterion(outputs, target).item(), images.size(0))
        top1.update(accuracy(outputs, target), images.size(0))
    return losses.avg, top1.avg


def save_checkpoint(state, is_best, ckpt_dir):
    os.makedirs(ckpt_dir, exist_ok=True)
    path = os.path.join(ckpt_dir, "last.pth")
    torch.save(state, path)
    if is_best:
        torch.save(state, os.path.join(ckpt_dir, "best.pth"))
