"""MLP-Mixer variant with BatchNorm for 64x64 satellite image tiles (EuroSAT).

Two tokenisers are available: a linear patch projection and a convolutional
stem. Both turn an image into a sequence of patch tokens (batch, tokens, dim).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

IMG = 64
PATCH = 8
DIM = 192
N_TOKENS = (IMG // PATCH) ** 2
N_CLASSES = 10


class PatchTokenizer(nn.Module):
    def __init__(self, in_ch=13, dim=DIM, patch=PATCH):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch, bias=False)
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, img):
        x = rearrange(self.proj(img), "b c h w -> b (h w) c")
        return self.norm(x)  # expect: BN203


class ConvStemTokenizer(nn.Module):
    def __init__(self, in_ch=13, dim=DIM):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_ch, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
        )
        self.to_tokens = nn.Conv2d(128, dim, kernel_size=2, stride=2, bias=False)
        self.token_bn = nn.BatchNorm1d(dim)

    def forward(self, img):
        x = self.to_tokens(self.stem(img))
        x = x.flatten(2).transpose(1, 2)
        x = self.token_bn(x)  # expect: BN203
        return x


class MixerBlock(nn.Module):
    def __init__(self, dim=DIM, n_tokens=N_TOKENS, token_mult=2, channel_mult=4):
        super().__init__()
        self.token_norm = nn.BatchNorm1d(dim)
        self.token_mlp = nn.Sequential(
            nn.Linear(n_tokens, n_tokens * token_mult), nn.GELU(),
            nn.Linear(n_tokens * token_mult, n_tokens))
        self.channel_norm = nn.BatchNorm1d(dim)
        self.channel_mlp = nn.Sequential(
            nn.Linear(dim, dim * channel_mult), nn.GELU(),
            nn.Linear(dim * channel_mult, dim))

    def forward(self, x):
        y = self.token_norm(x.transpose(1, 2))
        x = x + self.token_mlp(y).transpose(1, 2)
        z = rearrange(x, "b l c -> (b l) c")
        z = self.channel_mlp(self.channel_norm(z))
        return x + rearrange(z, "(b l) c -> b l c", b=x.shape[0])


class Mixer(nn.Module):
    def __init__(self, tokenizer="patch", depth=6, n_classes=N_CLASSES):
        super().__init__()
        self.tokenize = PatchTokenizer() if tokenizer == "patch" else ConvStemTokenizer()
        self.blocks = nn.Sequential(*[MixerBlock() for _ in range(depth)])
        self.head_bn = nn.BatchNorm1d(DIM)
        self.head = nn.Linear(DIM, n_classes)

    def forward(self, img):
        x = self.blocks(self.tokenize(img))
        x = x.mean(dim=1)
        return self.head(self.head_bn(x))


def train(model, steps=500, batch_size=64, device="cpu"):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    model.train()
    for step in range(steps):
        img = torch.randn(batch_size, 13, IMG, IMG, device=device)
        target = torch.randint(0, N_CLASSES, (batch_size,), device=device)
        loss = F.cross_entropy(model(img), target, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(step, round(loss.item(), 4))


@torch.no_grad()
def evaluate(model, n=512, device="cpu"):
    model.eval()
    img = torch.randn(n, 13, IMG, IMG, device=device)
    target = torch.randint(0, N_CLASSES, (n,), device=device)
    return (model(img).argmax(-1) == target).float().mean().item()


if __name__ == "__main__":
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    for kind in ("patch", "conv"):
        net = Mixer(tokenizer=kind).to(dev)
        train(net, device=dev)
        print(kind, "acc", evaluate(net, device=dev))
