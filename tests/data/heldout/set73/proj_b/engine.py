"""Losses and evaluation routines for distillation."""
import itertools

import torch
import torch.nn.functional as F

from utils import AverageMeter, eval_mode, topk_correct


def kd_loss(student_logits, teacher_logits, target, temperature=4.0, alpha=0.9):
    t = temperature
    soft = F.kl_div(F.log_softmax(student_logits / t, dim=1),
                    F.log_softmax(teacher_logits / t, dim=1),
                    reduction="batchmean", log_target=True) * t * t
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, target)


def evaluate(model, loader, device):
    """Full top-1/top-5 evaluation; leaves the model in the mode it was in."""
    top1, top5, loss = AverageMeter("top1"), AverageMeter("top5"), AverageMeter("loss")
    with eval_mode(model), torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            c1, c5 = topk_correct(logits, y)
            n = y.size(0)
            top1.update(c1 / n, n)
            top5.update(c5 / n, n)
            loss.update(F.cross_entropy(logits, y).item(), n)
    return {"top1": top1.avg, "top5": top5.avg, "loss": loss.avg}


def quick_eval(model, loader, device, max_batches=10):
    """Cheap top-1 estimate on the first few validation batches."""
    model.eval()
    hits = seen = 0
    with torch.no_grad():
        for x, y in itertools.islice(loader, max_batches):
            pred = model(x.to(device)).argmax(dim=1)
            hits += (pred.cpu() == y).sum().item()
            seen += y.numel()
    return hits / max(seen, 1)


def agreement(student, teacher, loader, device, max_batches=20):
    """How often student and teacher predict the same class."""
    same = total = 0
    with eval_mode(student, teacher), torch.no_grad():
        for x, _ in itertools.islice(loader, max_batches):
            x = x.to(device)
            same += (student(x).argmax(1) == teacher(x).argmax(1)).sum().item()
            total += x.size(0)
    return same / max(total, 1)


def expected_calibration_error(model, loader, device, bins=15):
    """Top-1 expected calibration error over the whole loader."""
    confs, hits = [], []
    with eval_mode(model), torch.no_grad():
        for x, y in loader:
            probs = F.softmax(model(x.to(device)), dim=1).cpu()
            conf, pred = probs.max(dim=1)
            confs.append(conf)
            hits.append((pred == y).float())
    conf, hit = torch.cat(confs), torch.cat(hits)
    edges = torch.linspace(0, 1, bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (conf[in_bin].mean() - hit[in_bin].mean()).abs()
    return ece.item()
