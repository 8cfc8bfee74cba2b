import matplotlib.pyplot as plt
import torch.nn as nn


def show_reconstructions(model, images):
    recon = model(images).detach().cpu()
    for i in range(len(images)):
        plt.subplot(2, len(images), i + 1)
        plt.imshow(recon[i].permute(1, 2, 0))
    plt.show()


def fit(model, loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        for images in loader:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(images), images).backward()
            optimizer.step()
        model.eval()
        show_reconstructions(model, images)
