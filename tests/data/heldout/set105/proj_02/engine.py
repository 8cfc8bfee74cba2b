import numpy as np
import torch
from sklearn.metrics import f1_score


def train_one_epoch(model, loader, criterion, optimizer, device, scaler=None):
    model.train()
    losses = []
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, enabled=scaler is not None):
            loss = criterion(model(images), labels)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    preds, gts = [], []
    for images, labels in loader:
        preds.append(model(images.to(device)).argmax(1).cpu())
        gts.append(labels)
    preds, gts = torch.cat(preds).numpy(), torch.cat(gts).numpy()
    return f1_score(gts, preds, average="macro"), preds
