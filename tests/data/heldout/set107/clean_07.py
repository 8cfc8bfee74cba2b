"""FastAPI endpoint for the intent classifier used by the support chatbot.

The model is a small conv-over-embeddings network; tokenization uses the
sentencepiece model shipped next to the weights.
"""
import os
from typing import List

import sentencepiece as spm
import torch
import torch.nn as nn
from fastapi import FastAPI
from pydantic import BaseModel

MODEL_DIR = os.environ.get("INTENT_MODEL_DIR", "models/intent-v3")
MAX_LEN = 64
INTENTS = ["billing", "cancel", "delivery", "login", "refund", "other"]


class IntentNet(nn.Module):
    def __init__(self, vocab_size=8000, emb_dim=96, hidden=128, n_intents=6):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.emb_norm = nn.BatchNorm1d(emb_dim)
        self.conv = nn.Conv1d(emb_dim, hidden, kernel_size=3, padding=1, bias=False)
        self.conv_norm = nn.BatchNorm1d(hidden)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.out_norm = nn.LayerNorm(2 * hidden)
        self.classifier = nn.Linear(2 * hidden, n_intents)

    def forward(self, ids):
        x = self.embed(ids)                       # (N, L, E)
        x = self.emb_norm(x.transpose(1, 2))      # BatchNorm1d over E: (N, E, L)
        x = torch.relu(self.conv_norm(self.conv(x)))
        x, _ = self.rnn(x.transpose(1, 2))        # back to (N, L, H) for batch_first GRU
        x = self.out_norm(x)                      # LayerNorm on the last dim is fine here
        mask = (ids != 0).unsqueeze(-1).float()
        pooled = (x * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(pooled)


def load_model(model_dir, device="cpu"):
    net = IntentNet(n_intents=len(INTENTS))
    net.load_state_dict(torch.load(os.path.join(model_dir, "intent_net.pt"), map_location=device))
    net.train(mode=False)
    return net.to(device)


class Query(BaseModel):
    texts: List[str]


class IntentScore(BaseModel):
    intent: str
    confidence: float


sp = spm.SentencePieceProcessor(model_file=os.path.join(MODEL_DIR, "spm.model"))
model = load_model(MODEL_DIR)
app = FastAPI()


def encode(texts):
    batch = torch.zeros(len(texts), MAX_LEN, dtype=torch.long)
    for i, t in enumerate(texts):
        ids = sp.encode(t.lower())[:MAX_LEN]
        batch[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return batch


@app.post("/intent", response_model=List[IntentScore])
def classify(query: Query):
    ids = encode(query.texts)
    with torch.inference_mode():
        probs = model(ids).softmax(-1)
    conf, idx = probs.max(-1)
    return [IntentScore(intent=INTENTS[i], confidence=round(c, 4)) for c, i in zip(conf.tolist(), idx.tolist())]


@app.get("/healthz")
def healthz():
    return {"ok": True, "intents": INTENTS}
