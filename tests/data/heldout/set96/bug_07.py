"""Conv + GRU sentence classifier (token ids, padded to a fixed length)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 30000
EMB = 200
CONV = 128
HID = 256
MAX_LEN = 200


class ConvGRUClassifier(nn.Module):
    def __init__(self, n_classes=5, pad_idx=0):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB, padding_idx=pad_idx)
        self.emb_bn = nn.BatchNorm1d(EMB)
        self.conv = nn.Conv1d(EMB, CONV, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(CONV)
        self.rnn = nn.GRU(CONV, HID, batch_first=True)
        self.rnn_bn = nn.BatchNorm1d(HID)
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(HID, n_classes)

    def forward(self, tokens, lengths):
        x = self.embed(tokens)                         # (N, L, EMB)
        x = self.emb_bn(x)  # expect: BN203
        x = x.transpose(1, 2)                          # (N, EMB, L)
        x = F.relu(self.conv_bn(self.conv(x)))         # (N, CONV, L)
        x = x.transpose(1, 2)                          # (N, L, CONV)
        h, _ = self.rnn(x)                             # (N, L, HID)
        h = self.rnn_bn(h)  # expect: BN203
        mask = (torch.arange(h.size(1), device=h.device)[None, :] < lengths[:, None]).float()
        pooled = (h * mask.unsqueeze(-1)).sum(1) / lengths.clamp(min=1).unsqueeze(-1).float()
        return self.out(self.dropout(pooled))


def collate(batch, pad_idx=0):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([min(len(s), MAX_LEN) for s in seqs])
    tokens = torch.full((len(seqs), MAX_LEN), pad_idx, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = torch.as_tensor(s[:MAX_LEN])
        tokens[i, : len(s)] = s
    return tokens, lengths, torch.tensor(labels)


def train(model, loader, epochs, lr=2e-3, device="cuda"):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for tokens, lengths, labels in loader:
            tokens, lengths, labels = tokens.to(device), lengths.to(device), labels.to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(tokens, lengths), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        print(f"epoch {epoch} done, last loss {loss.item():.3f}")
    return model
