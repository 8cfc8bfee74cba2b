import torch
import torch.nn as nn
import torch.nn.functional as F

from encoder import Encoder


def main(loader, epochs=5):
    encoder = Encoder()
    encoder.fine_tune(False)
    head = nn.Linear(2048, 100)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    for epoch in range(epochs):
        encoder.train()
        head.train()
        for images, labels in loader:
            loss = F.cross_entropy(head(encoder(images)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
