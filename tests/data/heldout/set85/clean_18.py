"""Speaker-ID training loop. Mode switching is the caller's job: the metric
helpers below assume they receive a model that is already in eval mode."""
import logging
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

logger = logging.getLogger(__name__)


class TDNNLayer(nn.Module):
    def __init__(self, cin, cout, context, dilation=1):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, context, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):                      # x: (N, C, T)
        return self.bn(F.relu(self.conv(x)))


class XVector(nn.Module):
    def __init__(self, n_mels=40, n_speakers=1211, emb_dim=512):
        super().__init__()
        self.frame = nn.Sequential(
            TDNNLayer(n_mels, 512, 5),
            TDNNLayer(512, 512, 3, dilation=2),
            TDNNLayer(512, 512, 3, dilation=3),
            TDNNLayer(512, 512, 1),
            TDNNLayer(512, 1500, 1),
        )
        self.segment = nn.Linear(3000, emb_dim, bias=False)
        self.seg_bn = nn.BatchNorm1d(emb_dim)
        self.classifier = nn.Linear(emb_dim, n_speakers)

    def embed(self, feats):
        h = self.frame(feats)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=1)   # (N, 3000)
        return self.seg_bn(self.segment(stats))

    def forward(self, feats):
        return self.classifier(F.relu(self.embed(feats)))


def evaluate(model: nn.Module, loader: DataLoader, device) -> Dict[str, float]:
    """Top-1 accuracy and loss. Caller must put `model` in eval mode."""
    total, correct, loss = 0, 0, 0.0
    with torch.no_grad():
        for feats, spk in loader:
            feats, spk = feats.to(device), spk.to(device)
            logits = model(feats)
            loss += F.cross_entropy(logits, spk, reduction="sum").item()
            correct += (logits.argmax(-1) == spk).sum().item()
            total += spk.numel()
    return {"loss": loss / total, "acc": correct / total}


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr=1e-3, device="cuda"):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)

    def train_one_epoch(self):
        self.model.train()
        for feats, spk in self.train_loader:
            feats, spk = feats.to(self.device), spk.to(self.device)
            loss = F.cross_entropy(self.model(feats), spk)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    def validate(self):
        self.model.eval()
        return evaluate(self.model, self.val_loader, self.device)

    def fit(self, epochs):
        best = 0.0
        for epoch in range(epochs):
            self.train_one_epoch()
            metrics = self.validate()
            logger.info("epoch %d: %s", epoch, metrics)
            if metrics["acc"] > best:
                best = metrics["acc"]
                torch.save(self.model.state_dict(), "xvector_best.pt")
        return best
