"""Training / evaluation / inference helpers."""
import torch
from torch import nn


def train_epoch(net, train_iter, loss, updater, device):
    """Train a model for one epoch; returns (mean loss, accuracy)."""
    net.train()
    total_loss, total_correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        X, y = X.to(device), y.to(device)
        y_hat = net(X)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.backward()
        updater.step()
        total_loss += float(l) * y.numel()
        total_correct += float((y_hat.argmax(1) == y).sum())
        n += y.numel()
    return total_loss / n, total_correct / n


def evaluate_accuracy(net, data_iter, device):
    if isinstance(net, nn.Module):
        net.eval()
    correct, n = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += float((net(X).argmax(1) == y).sum())
            n += y.numel()
    return correct / n


def prepare_inference(net):
    """Put the model in eval mode for inference / export and return it."""
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


@torch.inference_mode()
def predict(net, X, device):
    net = prepare_inference(net)
    return net(X.to(device)).argmax(dim=1).cpu()
