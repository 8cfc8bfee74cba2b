# Denoising convolutional autoencoder on MNIST (Kaggle notebook, single GPU)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

NUM_EPOCHS = 20
NOISE_FACTOR = 0.4
LR = 1e-3
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

transform = transforms.ToTensor()
train_data = datasets.MNIST(root="data", train=True, download=True, transform=transform)
test_data = datasets.MNIST(root="data", train=False, download=True, transform=transform)
train_loader = DataLoader(train_data, batch_size=128, shuffle=True, num_workers=2)
test_loader = DataLoader(test_data, batch_size=256, shuffle=False, num_workers=2)


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(True),
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(True),
            nn.Conv2d(32, 64, 7),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 7, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(True),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(True),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def add_noise(imgs, factor=NOISE_FACTOR):
    noisy = imgs + factor * torch.randn_like(imgs)
    return torch.clamp(noisy, 0.0, 1.0)


model = ConvAutoencoder()
model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
model = model.to(device)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)

train_losses, val_losses = [], []
model.train()
for epoch in range(1, NUM_EPOCHS + 1):
    train_loss = 0.0
    for images, _ in train_loader:
        images = images.to(device)
        noisy = add_noise(images)
        optimizer.zero_grad()
        outputs = model(noisy)
        loss = criterion(outputs, images)
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * images.size(0)
    train_loss /= len(train_loader.dataset)

    model.eval()  # expect: BN103
    val_loss = 0.0
    with torch.no_grad():
        for images, _ in test_loader:
            images = images.to(device)
            outputs = model(add_noise(images))
            val_loss += criterion(outputs, images).item() * images.size(0)
    val_loss /= len(test_loader.dataset)

    train_losses.append(train_loss)
    val_losses.append(val_loss)
    print(f"Epoch {epoch}/{NUM_EPOCHS} \tTraining Loss: {train_loss:.6f} \tValidation Loss: {val_loss:.6f}")

# visualise a few reconstructions
images, _ = next(iter(test_loader))
images = images[:10].to(device)
model.eval()
with torch.no_grad():
    recon = model(add_noise(images)).cpu()
fig, axes = plt.subplots(2, 10, figsize=(20, 4))
for i in range(10):
    axes[0, i].imshow(images[i].cpu().squeeze(), cmap="gray")
    axes[1, i].imshow(recon[i].squeeze(), cmap="gray")
    axes[0, i].axis("off")
    axes[1, i].axis("off")
plt.savefig("reconstructions.png")

plt.figure()
plt.plot(train_losses, label="train")
plt.plot(val_losses, label="val")
plt.legend()
plt.savefig("losses.png")
