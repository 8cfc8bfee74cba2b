"""Multi-label audio tagging; all settings live in one nested CONFIG dict."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "data": {
        "num_train": 1000,
        "num_test": 64,
        "n_mels": 64,
        "frames": 250,
        "num_tags": 20,
    },
    "loader": {
        "train": {"batch_size": 32, "shuffle": True, "num_workers": 2},
        "test": {"batch_size": 1, "shuffle": False, "num_workers": 0},
    },
    "optim": {"lr": 1e-3, "weight_decay": 1e-4, "epochs": 25},
    "model": {"channels": (1, 32, 64, 128)},
}


class TaggingCNN(nn.Module):
    def __init__(self, channels, num_tags):
        super().__init__()
        layers = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers.append(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False))
            layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.ReLU(inplace=True))
            layers.append(nn.AvgPool2d(2))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels[-1], num_tags)

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=3).amax(dim=2)
        return self.fc(x)


def make_dataset(n, seed):
    d = CONFIG["data"]
    g = torch.Generator().manual_seed(seed)
    spec = torch.randn(n, 1, d["n_mels"], d["frames"], generator=g)
    tags = (torch.rand(n, d["num_tags"], generator=g) < 0.15).float()
    for t in range(d["num_tags"]):
        spec[tags[:, t] > 0, 0, (t * 3) % d["n_mels"], :] += 1.5
    return TensorDataset(spec, tags)


def mean_average_precision(scores, targets):
    aps = []
    for k in range(targets.shape[1]):
        order = scores[:, k].argsort(descending=True)
        hits = targets[order, k]
        if hits.sum() == 0:
            continue
        precision = hits.cumsum(0) / torch.arange(1, len(hits) + 1)
        aps.append((precision * hits).sum() / hits.sum())
    return torch.stack(aps).mean().item()


def main():
    torch.manual_seed(0)
    train_cfg = CONFIG["loader"]["train"]
    test_cfg = CONFIG["loader"]["test"]
    train_loader = DataLoader(make_dataset(CONFIG["data"]["num_train"], 0), **train_cfg)
    test_loader = DataLoader(make_dataset(CONFIG["data"]["num_test"], 1), **test_cfg)

    model = TaggingCNN(CONFIG["model"]["channels"], CONFIG["data"]["num_tags"])
    optim_cfg = CONFIG["optim"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=optim_cfg["lr"], weight_decay=optim_cfg["weight_decay"])

    for epoch in range(optim_cfg["epochs"]):
        model.train()
        for spec, tags in train_loader:
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(spec), tags)
            loss.backward()
            optimizer.step()

        model.eval()
        scores, targets = [], []
        with torch.no_grad():
            for spec, tags in test_loader:
                scores.append(torch.sigmoid(model(spec)))
                targets.append(tags)
        m_ap = mean_average_precision(torch.cat(scores), torch.cat(targets))
        print(f"epoch {epoch}: loss {loss.item():.4f} mAP {m_ap:.3f}")


if __name__ == "__main__":
    main()
