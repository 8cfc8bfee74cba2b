"""Intent classifier on pretrained fastText vectors: embedding -> BN -> 1D CNN -> MLP.

Trains, then exports with torch.export for the on-device runtime.
"""
import json
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

VEC_FILE = "vectors/cc.en.300.subset.pt"   # {"itos": [...], "vectors": FloatTensor[V, 300]}
DATA_FILE = "data/intents.jsonl"
EMB = 300
SEQ_LEN = 32
CHANNELS = 256
NUM_INTENTS = 21
BATCH_SIZE = 128
EPOCHS = 25


class IntentCNN(nn.Module):
    def __init__(self, vectors: torch.Tensor, num_classes: int = NUM_INTENTS):
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(EMB)
        self.convs = nn.ModuleList([
            nn.Sequential(
                nn.Conv1d(EMB, CHANNELS, k, padding=k // 2, bias=False),
                nn.BatchNorm1d(CHANNELS),
                nn.GELU(),
            )
            for k in (2, 3, 5)
        ])
        self.fc = nn.Sequential(
            nn.Linear(3 * CHANNELS, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.GELU(),
            nn.Dropout(0.4),
            nn.Linear(256, num_classes),
        )

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(ids)              # (N, L, E)
        x = x.transpose(1, 2)          # (N, E, L) -- BatchNorm1d wants channels on dim 1
        x = self.emb_bn(x)
        pooled = [conv(x).amax(dim=2) for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def encode(text, stoi):
    ids = [stoi.get(w, 1) for w in text.lower().split()][:SEQ_LEN]
    return ids + [0] * (SEQ_LEN - len(ids))


def load_data(stoi, labels):
    rows = [json.loads(line) for line in open(DATA_FILE)]
    random.Random(13).shuffle(rows)
    X = torch.tensor([encode(r["text"], stoi) for r in rows])
    y = torch.tensor([labels.index(r["intent"]) for r in rows])
    cut = int(0.9 * len(rows))
    return TensorDataset(X[:cut], y[:cut]), TensorDataset(X[cut:], y[cut:])


def main():
    blob = torch.load(VEC_FILE)
    stoi = {w: i for i, w in enumerate(blob["itos"])}
    labels = json.load(open("data/intent_labels.json"))
    train_ds, val_ds = load_data(stoi, labels)
    train_dl = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=512)

    model = IntentCNN(blob["vectors"], num_classes=len(labels))
    opt = torch.optim.AdamW([
        {"params": model.emb.parameters(), "lr": 1e-4},
        {"params": [p for n, p in model.named_parameters() if not n.startswith("emb.")], "lr": 2e-3},
    ], weight_decay=1e-2)

    best, best_state = 0.0, None
    for epoch in range(EPOCHS):
        model.train()
        for ids, y in train_dl:
            loss = F.cross_entropy(model(ids), y, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.train(mode=False)
        with torch.no_grad():
            acc = sum((model(ids).argmax(1) == y).sum().item() for ids, y in val_dl) / len(val_ds)
        print(f"epoch {epoch:2d} val acc {acc:.4f}")
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    model.train(mode=False)
    example = (torch.randint(2, len(stoi), (4, SEQ_LEN)),)
    batch = torch.export.Dim("batch", min=1, max=256)
    exported = torch.export.export(model, example, dynamic_shapes={"ids": {0: batch}})
    torch.export.save(exported, "intent_cnn.pt2")
    json.dump({"labels": labels, "seq_len": SEQ_LEN, "val_acc": best}, open("intent_cnn.json", "w"))


if __name__ == "__main__":
    main()
