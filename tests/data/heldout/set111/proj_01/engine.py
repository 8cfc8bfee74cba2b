import numpy as np
import torch
import torch.nn.functional as F

from utils import AverageMeter


def train_fn(model, loader, optimizer, scheduler, device, aux_weight=0.4):
    model.train()
    losses = AverageMeter()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits, aux_logits = model(images, return_aux=True)
        loss = F.cross_entropy(logits, labels) + aux_weight * F.cross_entropy(aux_logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.update(loss.item(), images.size(0))
    return losses.avg


def valid_fn(model, loader, device):
    model.eval()
    losses = AverageMeter()
    preds = []
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            losses.update(F.cross_entropy(logits, labels).item(), images.size(0))
            preds.append(logits.softmax(1).cpu().numpy())
    return losses.avg, np.concatenate(preds)


def inference_fn(model, loader, device):
    model.eval()
    probs = []
    with torch.no_grad():
        for images in loader:
            probs.append(model(images.to(device)).softmax(1).cpu().numpy())
    return np.concatenate(probs)
