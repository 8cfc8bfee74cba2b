"""Two-stage VQ-VAE on 32x32 images: (1) train the VQ-VAE, (2) fit an LSTM prior over the 8x8 code grid."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets, transforms

K = 512
D = 64
GRID = 8


class VectorQuantizer(nn.Module):
    def __init__(self, k=K, d=D, beta=0.25):
        super().__init__()
        self.codebook = nn.Embedding(k, d)
        self.codebook.weight.data.uniform_(-1.0 / k, 1.0 / k)
        self.beta = beta

    def forward(self, z):
        b, c, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, c)
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.weight.t() + self.codebook.weight.pow(2).sum(1)
        idx = dist.argmin(1)
        q = self.codebook(idx).view(b, h, w, c).permute(0, 3, 1, 2)
        loss = F.mse_loss(q, z.detach()) + self.beta * F.mse_loss(z, q.detach())
        q = z + (q - z).detach()
        return q, loss, idx.view(b, h, w)


class VQVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1, bias=False),
            nn.BatchNorm2d(64, momentum=0.99),  # expect: BN205
            nn.ReLU(True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(True),
            nn.Conv2d(128, D, 1),
        )
        self.vq = VectorQuantizer()
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(D, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(True),
            nn.ConvTranspose2d(128, 3, 4, 2, 1),
        )

    def forward(self, x):
        q, vq_loss, idx = self.vq(self.encoder(x))
        return self.decoder(q), vq_loss, idx


class CodePrior(nn.Module):
    def __init__(self, k=K, emb=64, hidden=256):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Embedding(k + 1, emb),
            nn.BatchNorm1d(emb),  # expect: BN203
        )
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, k)

    def forward(self, tokens):
        h, _ = self.lstm(self.embed(tokens))
        return self.head(h)


@torch.no_grad()
def evaluate_reconstruction(model, loader, device):
    mse_sum, n, used = 0.0, 0, torch.zeros(K, dtype=torch.bool, device=device)
    for x, _ in loader:
        x = x.to(device)
        recon, _, idx = model(x)  # expect: BN101
        mse_sum += F.mse_loss(recon, x, reduction="sum").item()
        used[idx.flatten()] = True
        n += x.numel()
    return mse_sum / n, used.float().mean().item()


@torch.no_grad()
def extract_codes(model, loader, device):
    model.eval()
    codes = [model(x.to(device))[2].flatten(1).cpu() for x, _ in loader]
    return torch.cat(codes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vq-epochs", type=int, default=30)
    p.add_argument("--prior-epochs", type=int, default=40)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train_set = datasets.CIFAR10("./data", train=True, download=True, transform=tf)
    test_set = datasets.CIFAR10("./data", train=False, transform=tf)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)
    test_loader = DataLoader(test_set, batch_size=256)

    vqvae = VQVAE().to(device)
    opt = torch.optim.Adam(vqvae.parameters(), lr=2e-4)
    for epoch in range(args.vq_epochs):
        for x, _ in train_loader:
            x = x.to(device)
            recon, vq_loss, _ = vqvae(x)
            loss = F.mse_loss(recon, x) + vq_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        mse, usage = evaluate_reconstruction(vqvae, test_loader, device)
        print(f"[vq] epoch {epoch}: train {loss.item():.4f} test mse {mse:.5f} codebook usage {usage:.2%}")

    codes = extract_codes(vqvae, DataLoader(train_set, batch_size=256), device)
    bos = torch.full((codes.size(0), 1), K, dtype=torch.long)
    prior_loader = DataLoader(TensorDataset(torch.cat([bos, codes[:, :-1]], 1), codes), batch_size=64, shuffle=True, drop_last=True)

    prior = CodePrior().to(device)
    popt = torch.optim.Adam(prior.parameters(), lr=3e-4)
    for epoch in range(args.prior_epochs):
        for inp, tgt in prior_loader:
            inp, tgt = inp.to(device), tgt.to(device)
            logits = prior(inp)
            loss = F.cross_entropy(logits.reshape(-1, K), tgt.reshape(-1))
            popt.zero_grad()
            loss.backward()
            popt.step()
        print(f"[prior] epoch {epoch}: nll {loss.item():.3f}")

    torch.save({"vqvae": vqvae.state_dict(), "prior": prior.state_dict()}, "vqvae_prior.pt")


if __name__ == "__main__":
    main()
