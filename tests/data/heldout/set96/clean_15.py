"""Monte-Carlo dropout uncertainty: BN in eval, only the Dropout layers re-enabled."""
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F


class UncertainNet(nn.Module):
    def __init__(self, in_features=64, num_classes=5, p=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.net(x)


def enable_mc_dropout(model):
    """Switch only the Dropout submodules back to training behaviour."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


@torch.inference_mode()
def predict_with_uncertainty(model, x, n_samples=30):
    model.eval()
    enable_mc_dropout(model)
    if model.training:
        warnings.warn("top-level module is still in training mode")
    probs = torch.stack([F.softmax(model(x), dim=-1) for _ in range(n_samples)])
    mean = probs.mean(0)
    entropy = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
    return mean.argmax(-1), entropy


def fit(model, loader, epochs=20, lr=1e-3):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}, training={model.training}")
    return model


def triage(model, pool_x, budget=100):
    """Pick the `budget` most uncertain unlabeled samples for annotation."""
    _, entropy = predict_with_uncertainty(model, pool_x)
    return entropy.topk(budget).indices
