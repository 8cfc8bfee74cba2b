"""CRNN for text-line recognition (licence plates / receipts) trained with CTC.

Grey text lines of height 32 go through a 2D CNN whose height is reduced to 1,
the height axis is squeezed away, and the width axis becomes the sequence for a
batch-first BiLSTM.
"""
import string

import torch
import torch.nn as nn
import torch.nn.functional as F

ALPHABET = string.digits + string.ascii_uppercase + "-."
N_CLASSES = len(ALPHABET) + 1  # + CTC blank
HEIGHT = 32
WIDTH = 128


class CRNN(nn.Module):
    def __init__(self, n_classes=N_CLASSES, hidden=128):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(128, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(256, 256, (2, 1), bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
        )
        self.col_bn = nn.BatchNorm1d(256)
        self.context = nn.Conv2d(256, 256, (1, 3), padding=(0, 1), bias=False)
        self.context_bn = nn.BatchNorm2d(256)
        self.rnn = nn.LSTM(256, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.step_bn = nn.BatchNorm1d(2 * hidden)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, images):
        f = self.cnn(images)
        n, c, h, w = f.shape
        cols = f.squeeze(2)
        cols = F.relu(self.col_bn(cols))
        ctx = self.context(cols.unsqueeze(2))
        ctx = F.relu(self.context_bn(ctx)).view(n, c, w)
        seq, _ = self.rnn(ctx.permute(0, 2, 1))
        steps = seq.reshape(n * w, -1)
        steps = self.step_bn(steps)
        return self.fc(steps).view(n, w, -1)


def encode(texts):
    targets = torch.tensor([ALPHABET.index(ch) + 1 for t in texts for ch in t], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
    return targets, lengths


def decode(logits):
    out = []
    for row in logits.argmax(-1).tolist():
        chars, prev = [], 0
        for k in row:
            if k != prev and k != 0:
                chars.append(ALPHABET[k - 1])
            prev = k
        out.append("".join(chars))
    return out


def random_texts(batch, min_len=4, max_len=10):
    lens = torch.randint(min_len, max_len + 1, (batch,)).tolist()
    return ["".join(ALPHABET[i] for i in torch.randint(0, len(ALPHABET), (n,)).tolist()) for n in lens]


def main(steps=1000, batch_size=64):
    model = CRNN()
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(steps):
        model.train()
        images = torch.rand(batch_size, 1, HEIGHT, WIDTH)
        texts = random_texts(batch_size)
        targets, tgt_lens = encode(texts)
        logits = model(images)
        log_probs = logits.log_softmax(-1).transpose(0, 1)
        in_lens = torch.full((batch_size,), logits.size(1), dtype=torch.long)
        loss = ctc(log_probs, targets, in_lens, tgt_lens)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0:
            model.eval()
            with torch.no_grad():
                preds = decode(model(torch.rand(8, 1, HEIGHT, WIDTH)))
            print(f"step {step} ctc {loss.item():.3f} sample {preds[:2]}")


if __name__ == "__main__":
    main()
