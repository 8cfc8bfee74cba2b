import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer, device, log_every=50):
    model.train()
    total, n = 0.0, 0
    for i, (x, y) in enumerate(loader):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * y.size(0)
        n += y.size(0)
        if i % log_every == 0:
            print(f"  it {i:4d} loss {loss.item():.4f}")
    return total / n


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x).argmax(1) == y).sum().item()
        n += y.size(0)
    return correct / n


@torch.inference_mode()
def predict(model, loader, device):
    probs = []
    for x, _ in loader:
        logits = model(x.to(device))  # expect: BN101
        probs.append(logits.softmax(dim=1).cpu())
    return torch.cat(probs)
