"""News-topic classifier: token embeddings + small Transformer encoder.

Config is a plain dataclass so it can be dumped into the run directory.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("topic_clf")

VOCAB_SIZE = 32_000
EMBED_DIM = 256
HIDDEN_DIM = 512
PAD_ID = 0


@dataclass
class RunConfig:
    corpus: Path = Path("data/news_tokens.jsonl")
    run_dir: Path = Path("runs/topic_clf")
    num_classes: int = 4
    max_len: int = 256
    batch_size: int = 64
    epochs: int = 8
    lr: float = 5e-4


class TokenDataset(Dataset):
    def __init__(self, path: Path, max_len: int) -> None:
        self.rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        self.max_len = max_len

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        row = self.rows[idx]
        return torch.tensor(row["ids"][: self.max_len], dtype=torch.long), int(row["label"])


def collate(batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    ids, labels = zip(*batch)
    return pad_sequence(list(ids), batch_first=True, padding_value=PAD_ID), torch.tensor(labels)


class TopicClassifier(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=PAD_ID)
        self.embed_norm = nn.BatchNorm1d(EMBED_DIM)
        layer = nn.TransformerEncoderLayer(
            d_model=EMBED_DIM, nhead=8, dim_feedforward=4 * EMBED_DIM,
            dropout=0.1, batch_first=True, norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)
        self.proj = nn.Linear(EMBED_DIM, HIDDEN_DIM, bias=False)
        self.proj_norm = nn.BatchNorm1d(EMBED_DIM)  # expect: BN201
        self.classifier = nn.Linear(HIDDEN_DIM, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad_mask = tokens.eq(PAD_ID)
        x = self.embed(tokens)                      # (N, L, E)
        x = self.embed_norm(x)  # expect: BN203
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)   # (N, E)
        h = F.gelu(self.proj_norm(self.proj(pooled)))
        return self.classifier(h)


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    hits, seen = 0, 0
    for tokens, labels in loader:
        preds = model(tokens.to(device)).argmax(-1).cpu()
        hits += int((preds == labels).sum())
        seen += labels.numel()
    return hits / max(seen, 1)


def save_for_inference(model: nn.Module, run_dir: Path) -> Path:
    model.eval  # expect: BN102
    path = run_dir / "model_final.pt"
    torch.save(model.state_dict(), path)
    return path


def main(cfg: RunConfig) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    (cfg.run_dir / "config.json").write_text(json.dumps(asdict(cfg), default=str, indent=2))

    full = TokenDataset(cfg.corpus, cfg.max_len)
    n_val = len(full) // 10
    train_set, val_set = torch.utils.data.random_split(
        full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(0)
    )
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True,
                              collate_fn=collate, drop_last=True, num_workers=4)
    val_loader = DataLoader(val_set, batch_size=256, collate_fn=collate, num_workers=4)

    model = TopicClassifier(cfg.num_classes).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")

    for epoch in range(cfg.epochs):
        model.train()
        for step, (tokens, labels) in enumerate(train_loader):
            tokens, labels = tokens.to(device), labels.to(device)
            with torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"):
                loss = F.cross_entropy(model(tokens), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            if step % 200 == 0:
                log.info("epoch %d step %d loss %.4f", epoch, step, loss.item())
        log.info("epoch %d val_acc %.4f", epoch, evaluate(model, val_loader, device))

    log.info("saved %s", save_for_inference(model, cfg.run_dir))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(RunConfig())
