import numpy as np
import torch
import torch.nn as nn


class PyTorchAwardModel(nn.Module):
    def __init__(self, input_dim, hidden_dims=(128, 64), dropout=0.2):
        super().__init__()
        self.input_dim = input_dim
        layers = []
        prev = input_dim
        for h in hidden_dims:
            layers += [nn.Linear(prev, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            prev = h
        layers.append(nn.Linear(prev, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def fit(self, X, y, epochs=50, batch_size=64, lr=1e-3):
        optimizer = torch.optim.Adam(self.parameters(), lr=lr)
        loss_fn = nn.BCEWithLogitsLoss()
        X_t = torch.as_tensor(X, dtype=torch.float32)
        y_t = torch.as_tensor(y, dtype=torch.float32)
        for epoch in range(epochs):
            self.train()
            perm = torch.randperm(len(X_t))
            for i in range(0, len(X_t), batch_size):
                idx = perm[i:i + batch_size]
                optimizer.zero_grad()
                loss_fn(self(X_t[idx]), y_t[idx]).backward()
                optimizer.step()
        return self

    def export_torchscript(self, path):
        example = torch.randn(1, self.input_dim)
        traced = torch.jit.trace(self, example)
        traced.save(path)
        return path


if __name__ == "__main__":
    X = np.random.rand(500, 20).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.float32)
    model = PyTorchAwardModel(input_dim=20).fit(X, y)
    model.export_torchscript("award_model.pt")
