import torch
import torch.nn.functional as F

from autoencoder import build_autoencoder


def finetune(loader, epochs=5):
    encoder, decoder = build_autoencoder()
    encoder.load_state_dict(torch.load("encoder.pt"))
    encoder.requires_grad_(False)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=2e-4)
    for epoch in range(epochs):
        encoder.train()
        decoder.train()
        for images in loader:
            loss = F.mse_loss(decoder(encoder(images)), images)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
