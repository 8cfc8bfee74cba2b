"""VQ-VAE with EMA codebook on CIFAR-10, then a GRU prior over the 8x8 code grid; prior samples are decoded."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets, transforms
from torchvision.utils import save_image

K, D, GRID = 256, 64, 8


class EMAQuantizer(nn.Module):
    def __init__(self, k=K, d=D, decay=0.99, eps=1e-5):
        super().__init__()
        self.decay, self.eps = decay, eps
        self.register_buffer("embed", torch.randn(k, d))
        self.register_buffer("cluster_size", torch.zeros(k))
        self.register_buffer("embed_avg", self.embed.clone())

    def forward(self, z):
        b, c, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, c)
        idx = torch.cdist(flat, self.embed).argmin(1)
        q = self.embed[idx].view(b, h, w, c).permute(0, 3, 1, 2)
        if self.training:
            onehot = F.one_hot(idx, self.embed.size(0)).type(flat.dtype)
            self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
            self.embed_avg.mul_(self.decay).add_(onehot.t() @ flat.detach(), alpha=1 - self.decay)
            n = self.cluster_size.sum()
            size = (self.cluster_size + self.eps) / (n + self.embed.size(0) * self.eps) * n
            self.embed.copy_(self.embed_avg / size.unsqueeze(1))
        commit = F.mse_loss(z, q.detach())
        return z + (q - z).detach(), commit, idx.view(b, h, w)


class VQVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(3, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128, momentum=0.01), nn.ReLU(True),
            nn.Conv2d(128, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128, momentum=0.01), nn.ReLU(True),
            nn.Conv2d(128, D, 1),
        )
        self.quant = EMAQuantizer()
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(D, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 3, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, x):
        q, commit, idx = self.quant(self.enc(x))
        return self.dec(q), commit, idx

    def decode_indices(self, idx):
        q = self.quant.embed[idx].permute(0, 3, 1, 2)
        return self.dec(q)


class GRUPrior(nn.Module):
    def __init__(self, emb=GRID * GRID, hidden=512):
        super().__init__()
        self.embed = nn.Embedding(K + 1, emb)
        self.norm = nn.BatchNorm1d(emb)
        self.gru = nn.GRU(emb, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, K)

    def forward(self, tokens, h=None):
        e = self.embed(tokens)
        e = self.norm(e.transpose(1, 2)).transpose(1, 2)
        out, h = self.gru(e, h)
        return self.head(out), h


@torch.no_grad()
def sample_prior(prior, vqvae, n, device, temperature=1.0):
    prior.eval()
    vqvae.eval()
    tok = torch.full((n, 1), K, dtype=torch.long, device=device)
    h, codes = None, []
    for _ in range(GRID * GRID):
        logits, h = prior(tok, h)
        tok = torch.multinomial(F.softmax(logits[:, -1] / temperature, -1), 1)
        codes.append(tok)
    idx = torch.cat(codes, 1).view(n, GRID, GRID)
    return vqvae.decode_indices(idx)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train_set = datasets.CIFAR10("./data", train=True, download=True, transform=tf)
    loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)

    vqvae = VQVAE().to(device)
    opt = torch.optim.Adam(vqvae.parameters(), lr=3e-4)
    for epoch in range(40):
        for x, _ in loader:
            x = x.to(device)
            recon, commit, _ = vqvae(x)
            loss = F.mse_loss(recon, x) + 0.25 * commit
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[vqvae] epoch {epoch}: {loss.item():.4f}")

    vqvae.eval()
    with torch.no_grad():
        codes = torch.cat([vqvae(x.to(device))[2].flatten(1).cpu()
                           for x, _ in DataLoader(train_set, batch_size=500)])
    inputs = torch.cat([torch.full((codes.size(0), 1), K, dtype=torch.long), codes[:, :-1]], 1)
    prior_loader = DataLoader(TensorDataset(inputs, codes), batch_size=128, shuffle=True, drop_last=True)

    prior = GRUPrior().to(device)
    popt = torch.optim.Adam(prior.parameters(), lr=1e-3)
    for epoch in range(30):
        prior.train()
        for inp, tgt in prior_loader:
            logits, _ = prior(inp.to(device))
            loss = F.cross_entropy(logits.reshape(-1, K), tgt.to(device).reshape(-1))
            popt.zero_grad()
            loss.backward()
            popt.step()
        imgs = sample_prior(prior, vqvae, 16, device)
        save_image(imgs * 0.5 + 0.5, f"prior_samples_{epoch:02d}.png", nrow=4)
        print(f"[prior] epoch {epoch}: nll {loss.item():.3f}")


if __name__ == "__main__":
    main()
