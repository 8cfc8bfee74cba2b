"""Dilated 1-D ResNet text classifier over token embeddings, with a training script.

Embeddings are (N, L, E); they are moved to channels-first (N, E, L) before the
Conv1d/BatchNorm1d stack.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

VOCAB = 30000
EMBED = 128
SEQ_LEN = 256
NUM_SAMPLES = 10000
BATCH_SIZE = 64


class ResBlock1d(nn.Module):
    def __init__(self, channels, dilation, expansion=2):
        super().__init__()
        hidden = channels * expansion
        self.conv1 = nn.Conv1d(channels, hidden, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(channels * 2 if expansion == 2 else hidden)
        self.conv2 = nn.Conv1d(hidden, hidden, 3, padding=dilation, dilation=dilation,
                               groups=hidden // 16, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.conv3 = nn.Conv1d(hidden, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm1d(channels)

    def forward(self, x):
        y = F.gelu(self.bn1(self.conv1(x)))
        y = F.gelu(self.bn2(self.conv2(y)))
        return F.gelu(x + self.bn3(self.conv3(y)))


class TextResNet1d(nn.Module):
    def __init__(self, num_classes=4, width=256, dilations=(1, 2, 4, 8, 1, 2, 4, 8)):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.proj = nn.Conv1d(EMBED, width, 1, bias=False)
        self.proj_bn = nn.BatchNorm1d(width)
        self.blocks = nn.Sequential(*[ResBlock1d(width, d) for d in dilations])
        self.head = nn.Sequential(
            nn.Linear(2 * width, width, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(width, num_classes),
        )

    def forward(self, tokens):
        x = self.embed(tokens)            # (N, L, E)
        x = x.transpose(1, 2)             # (N, E, L)
        x = F.relu(self.proj_bn(self.proj(x)))
        x = self.blocks(x)
        pooled = torch.cat([x.mean(-1), x.amax(-1)], dim=1)   # (N, 2 * width)
        return self.head(pooled)


def accuracy(model, loader, device):
    model.eval()
    hits = n = 0
    with torch.inference_mode():
        for tok, y in loader:
            hits += (model(tok.to(device)).argmax(-1).cpu() == y).sum().item()
            n += y.numel()
    model.train()
    return hits / n


def main():
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokens = torch.randint(1, VOCAB, (NUM_SAMPLES, SEQ_LEN))
    labels = torch.randint(0, 4, (NUM_SAMPLES,))
    full = TensorDataset(tokens, labels)
    train_set, val_set = random_split(full, [9000, 1000])
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256)

    model = TextResNet1d().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    model.train()
    for epoch in range(5):
        for step, (tok, y) in enumerate(train_loader):
            logits = model(tok.to(device))
            loss = F.cross_entropy(logits, y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 0:
                print(epoch, step, f"{loss.item():.4f}")
        print("val acc", accuracy(model, val_loader, device))
    torch.save(model.state_dict(), "text_resnet1d.pt")


if __name__ == "__main__":
    main()
