"""Intent classifier + slot tagger, ported from a Keras model (channels-last text pipeline).

Keras' BatchNormalization() normalises the last axis. For (batch, time, features)
tensors the PyTorch equivalent is BatchNorm1d over dim 1, so the port moves
the feature axis to dim 1 first (or flattens time into the batch axis).
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

VOCAB_SIZE = 12000
MAX_LEN = 48
EMBED_DIM = 96
CONV_CHANNELS = 128
RNN_UNITS = 64
NUM_INTENTS = 21
NUM_SLOTS = 120
KERAS_MOMENTUM = 0.99


class IntentSlotModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(EMBED_DIM, momentum=1 - KERAS_MOMENTUM)
        self.conv = nn.Conv1d(EMBED_DIM, CONV_CHANNELS, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(CONV_CHANNELS, momentum=1 - KERAS_MOMENTUM)
        self.rnn = nn.LSTM(CONV_CHANNELS, RNN_UNITS, batch_first=True, bidirectional=True)
        self.rnn_norm = nn.LayerNorm(2 * RNN_UNITS)
        self.slot_proj = nn.Linear(2 * RNN_UNITS, 2 * RNN_UNITS, bias=False)
        self.slot_bn = nn.BatchNorm1d(2 * RNN_UNITS, momentum=1 - KERAS_MOMENTUM)
        self.slot_out = nn.Linear(2 * RNN_UNITS, NUM_SLOTS)
        self.intent_out = nn.Linear(2 * RNN_UNITS, NUM_INTENTS)

    def forward(self, tokens):
        n, length = tokens.shape
        x = self.embedding(tokens)                      # (N, L, E)
        x = self.emb_bn(x.transpose(1, 2))              # (N, E, L)
        x = F.relu(self.conv_bn(self.conv(x)))          # (N, C, L)
        seq, _ = self.rnn(x.permute(0, 2, 1))           # (N, L, 2H)
        seq = self.rnn_norm(seq)
        flat = self.slot_proj(seq.reshape(n * length, -1))   # (N*L, 2H)
        flat = F.relu(self.slot_bn(flat))
        slots = self.slot_out(flat).view(n, length, NUM_SLOTS)
        mask = (tokens != 0).unsqueeze(-1)
        pooled = (seq * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.intent_out(pooled), slots


class AtisJson(Dataset):
    def __init__(self, path):
        with open(path, encoding="utf-8") as fh:
            self.items = json.load(fh)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        toks = item["token_ids"][:MAX_LEN]
        slots = item["slot_ids"][:MAX_LEN]
        pad = MAX_LEN - len(toks)
        return (torch.tensor(toks + [0] * pad), torch.tensor(item["intent"]),
                torch.tensor(slots + [-100] * pad))


def evaluate(model, loader):
    model.eval()
    intent_hits = slot_hits = slot_total = n = 0
    with torch.no_grad():
        for tokens, intent, slots in loader:
            intent_logits, slot_logits = model(tokens)
            intent_hits += (intent_logits.argmax(-1) == intent).sum().item()
            valid = slots != -100
            slot_hits += ((slot_logits.argmax(-1) == slots) & valid).sum().item()
            slot_total += valid.sum().item()
            n += intent.numel()
    return intent_hits / n, slot_hits / slot_total


def main():
    train_loader = DataLoader(AtisJson("atis/train.json"), batch_size=32, shuffle=True, drop_last=True)
    dev_loader = DataLoader(AtisJson("atis/dev.json"), batch_size=128)
    model = IntentSlotModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

    for epoch in range(30):
        model.train()
        for tokens, intent, slots in train_loader:
            intent_logits, slot_logits = model(tokens)
            loss = F.cross_entropy(intent_logits, intent) + F.cross_entropy(
                slot_logits.reshape(-1, NUM_SLOTS), slots.reshape(-1), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        intent_acc, slot_acc = evaluate(model, dev_loader)
        print(f"epoch {epoch}: intent acc {intent_acc:.4f}, slot acc {slot_acc:.4f}")
    torch.save(model.state_dict(), "intent_slot.pt")


if __name__ == "__main__":
    main()
