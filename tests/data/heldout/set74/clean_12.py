"""Container-friendly training job configured through environment variables."""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = int(os.environ.get("BATCH_SIZE", "64"))
EVAL_BATCH_SIZE = int(os.getenv("EVAL_BATCH_SIZE", "1"))
EPOCHS = int(os.environ.get("EPOCHS", "15"))
LR = float(os.environ.get("LR", "0.001"))
NUM_TRAIN = int(os.environ.get("NUM_TRAIN", "2000"))
OUTPUT_DIR = os.environ.get("OUTPUT_DIR", "/tmp/job-output")
VOCAB = 5000
SEQ_LEN = 64
EMB = 96


class TextCNN(nn.Module):
    """Sentence classifier: embeddings -> (N, E, L) -> Conv1d + BatchNorm1d."""

    def __init__(self, vocab=VOCAB, emb=EMB, num_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.convs = nn.ModuleList(
            [nn.Conv1d(emb, 128, k, padding=k // 2, bias=False) for k in (3, 5, 7)]
        )
        self.bns = nn.ModuleList([nn.BatchNorm1d(128) for _ in range(3)])
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(128 * 3, num_classes)

    def forward(self, tokens):
        x = self.embed(tokens).transpose(1, 2)
        pooled = [F.relu(bn(conv(x))).amax(dim=2) for conv, bn in zip(self.convs, self.bns)]
        return self.fc(self.drop(torch.cat(pooled, dim=1)))


def fake_corpus(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=g)
    tokens = torch.randint(1, VOCAB, (n, SEQ_LEN), generator=g)
    tokens[:, :4] = (labels[:, None] + 1) * 10
    return TensorDataset(tokens, labels)


def main():
    torch.manual_seed(0)
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    train_loader = DataLoader(fake_corpus(NUM_TRAIN, 0), batch_size=BATCH_SIZE, shuffle=True)
    eval_loader = DataLoader(fake_corpus(300, 1), batch_size=EVAL_BATCH_SIZE)

    model = TextCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(EPOCHS):
        model.train()
        total = 0.0
        for tokens, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tokens), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: mean loss {total / len(train_loader):.4f}")

    model.eval()
    correct = 0
    with torch.no_grad():
        for tokens, labels in eval_loader:
            correct += (model(tokens).argmax(1) == labels).sum().item()
    print(f"eval accuracy: {correct / len(eval_loader.dataset):.3f}")
    torch.save(model.state_dict(), os.path.join(OUTPUT_DIR, "textcnn.pt"))


if __name__ == "__main__":
    main()
