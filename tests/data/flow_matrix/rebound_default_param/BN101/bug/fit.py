import torch

from embeddings import default_encoder, embed_all


def fit(train_loader, probe_loader, epochs=30):
    encoder = default_encoder()
    opt = torch.optim.Adam(encoder.parameters(), lr=3e-4)
    for epoch in range(epochs):
        for clips, targets in train_loader:
            loss = (encoder(clips).flatten(1) - targets).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        bank = embed_all(probe_loader, encoder=encoder)
        print(epoch, bank.norm(dim=1).mean().item())
