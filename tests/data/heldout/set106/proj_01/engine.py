import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer, device, scaler=None):
    model.train()
    running, seen = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        loss.backward()
        optimizer.step()
        running += loss.item() * y.size(0)
        seen += y.size(0)
    return running / max(seen, 1)


@torch.no_grad()
def evaluate(model, loader, device, num_classes):
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for x, y in loader:
        logits = model(x.to(device))  # expect: BN101
        preds = logits.argmax(1).cpu()
        confusion.index_put_((y, preds), torch.ones_like(y), accumulate=True)
    per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    return per_class.mean().item(), confusion
