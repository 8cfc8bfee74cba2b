import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 16
HIDDEN = 128


class Encoder(nn.Module):
    def __init__(self, in_dim, hidden_dim=HIDDEN):
        super(Encoder, self).__init__()
        self.fc = nn.Linear(in_dim, hidden_dim)
        self.bn = nn.BatchNorm1d(hidden_dim)
        self.out = nn.Linear(hidden_dim, 2)

    def forward(self, x):
        h = torch.relu(self.bn(self.fc(x)))
        return self.out(h)


def build_loader(path):
    feats = np.load(path + '/features.npy')
    labels = np.load(path + '/labels.npy')
    dataset = TensorDataset(torch.from_numpy(feats).float(), torch.from_numpy(labels).long())
    return DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True)


def train(data_dir, epochs=10):
    loader = build_loader(data_dir)
    model = Encoder(in_dim=300)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()


if __name__ == '__main__':
    train('./data')
