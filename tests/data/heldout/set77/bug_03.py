"""Text-conditioned GAN on MNIST: digits generated from short captions such as "a thin seven"."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torchvision.datasets import MNIST
from torchvision.utils import save_image

NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
STYLES = ["a", "a thin", "a bold", "a slanted", "a small"]
VOCAB = ["<pad>"] + sorted({w for s in STYLES for w in s.split()} | set(NUMBERS) | {"digit"})
WORD2ID = {w: i for i, w in enumerate(VOCAB)}
MAX_LEN = 5
NZ = 64
EMB = 32


def caption_tokens(labels):
    rows = []
    for y in labels.tolist():
        words = (random.choice(STYLES) + " digit " + NUMBERS[y]).split()
        ids = [WORD2ID[w] for w in words][:MAX_LEN]
        rows.append(ids + [0] * (MAX_LEN - len(ids)))
    return torch.tensor(rows, dtype=torch.long)


class CaptionEncoder(nn.Module):
    def __init__(self, vocab=len(VOCAB), emb=EMB):
        super().__init__()
        self.net = nn.Sequential(
            nn.Embedding(vocab, emb, padding_idx=0),
            nn.TransformerEncoderLayer(emb, nhead=4, dim_feedforward=64, batch_first=True),
            nn.BatchNorm1d(emb),  # expect: BN203
        )

    def forward(self, tokens):
        h = self.net(tokens)
        mask = (tokens != 0).unsqueeze(-1).float()
        return (h * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(NZ + EMB, 128 * 7 * 7, bias=False),
            nn.BatchNorm2d(128 * 7 * 7),  # expect: BN202
            nn.ReLU(True),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z, cond):
        h = self.fc(torch.cat([z, cond], dim=1))
        return self.up(h.view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Flatten(),
        )
        self.out = nn.Linear(128 * 7 * 7, 1)
        self.proj = nn.Linear(EMB, 128 * 7 * 7, bias=False)

    def forward(self, x, cond):
        h = self.conv(x)
        return self.out(h).squeeze(1) + (h * self.proj(cond)).sum(1)


class DigitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
        )

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def conditional_accuracy(G, text_enc, clf, device, n=1000):
    clf.eval()
    labels = torch.randint(0, 10, (n,), device=device)
    cond = text_enc(caption_tokens(labels).to(device))  # expect: BN101
    imgs = G(torch.randn(n, NZ, device=device), cond)  # expect: BN101
    pred = clf(imgs).argmax(1)
    return (pred == labels).float().mean().item(), imgs[:64]


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    loader = DataLoader(MNIST("./data", train=True, download=True, transform=tf), batch_size=64, shuffle=True, drop_last=True)

    clf = DigitClassifier().to(device)
    clf.load_state_dict(torch.load("mnist_classifier.pt", map_location=device))

    text_enc, G, D = CaptionEncoder().to(device), Generator().to(device), Discriminator().to(device)
    opt_G = torch.optim.Adam(list(G.parameters()) + list(text_enc.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    for epoch in range(30):
        for x, y in loader:
            x = x.to(device)
            tokens = caption_tokens(y).to(device)
            z = torch.randn(x.size(0), NZ, device=device)

            cond = text_enc(tokens)
            fake = G(z, cond)
            d_loss = F.softplus(-D(x, cond.detach())).mean() + F.softplus(D(fake.detach(), cond.detach())).mean()
            opt_D.zero_grad()
            d_loss.backward()
            opt_D.step()

            g_loss = F.softplus(-D(fake, cond)).mean()
            opt_G.zero_grad()
            g_loss.backward()
            opt_G.step()

        acc, grid = conditional_accuracy(G, text_enc, clf, device)
        print(f"epoch {epoch}: d {d_loss.item():.3f} g {g_loss.item():.3f} cond-acc {acc:.3f}")
        save_image(grid, f"txt2digit_{epoch:02d}.png", normalize=True)


if __name__ == "__main__":
    main()
