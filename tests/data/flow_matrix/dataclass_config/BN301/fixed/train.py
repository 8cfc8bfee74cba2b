import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from config import Config
from nets import Net


def train(dataset, cfg: Config):
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    train(torch.load("train_set.pt"), Config())
