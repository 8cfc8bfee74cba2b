import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer, device, clip=1.0):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += loss.item() * x.size(0)
        n += x.size(0)
    return total / max(n, 1)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    mse = mae = 0.0
    n = 0
    for x, y in loader:
        pred = model(x.to(device))
        y = y.to(device)
        mse += F.mse_loss(pred, y, reduction="sum").item()
        mae += F.l1_loss(pred, y, reduction="sum").item()
        n += y.numel()
    return mse / n, mae / n
