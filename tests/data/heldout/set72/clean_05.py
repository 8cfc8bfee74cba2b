"""Two-tower retrieval model for next-item recommendation with in-batch negatives."""
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from recdata import InteractionDataset, ItemCatalog  # project-local data module

log = logging.getLogger(__name__)


@dataclass
class Config:
    data_dir: Path = Path("data/interactions")
    num_items: int = 200_000
    num_users: int = 1_000_000
    emb_dim: int = 64
    tower_dim: int = 128
    max_history: int = 50
    batch_size: int = 1024
    lr: float = 1e-3
    epochs: int = 10
    temperature: float = 0.05
    topk: int = 100


def tower(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_dim, 2 * out_dim, bias=False),
        nn.BatchNorm1d(2 * out_dim),
        nn.ReLU(inplace=True),
        nn.Linear(2 * out_dim, out_dim),
    )


class TwoTower(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.item_emb = nn.Embedding(cfg.num_items + 1, cfg.emb_dim, padding_idx=0)
        self.user_emb = nn.Embedding(cfg.num_users, cfg.emb_dim)
        self.user_tower = tower(2 * cfg.emb_dim, cfg.tower_dim)
        self.item_tower = tower(cfg.emb_dim, cfg.tower_dim)

    def encode_users(self, user_ids, history):
        hist = self.item_emb(history)                         # (N, L, E)
        mask = (history != 0).unsqueeze(-1).float()
        pooled = (hist * mask).sum(1) / mask.sum(1).clamp(min=1.0)   # (N, E)
        x = torch.cat([self.user_emb(user_ids), pooled], dim=1)
        return F.normalize(self.user_tower(x), dim=-1)

    def encode_items(self, item_ids):
        return F.normalize(self.item_tower(self.item_emb(item_ids)), dim=-1)

    def forward(self, user_ids, history, pos_items):
        return self.encode_users(user_ids, history), self.encode_items(pos_items)


@torch.inference_mode()
def build_item_index(model: TwoTower, catalog: ItemCatalog, device, chunk=8192):
    vecs = []
    for start in range(0, len(catalog), chunk):
        ids = torch.as_tensor(catalog.ids[start:start + chunk], device=device)
        vecs.append(model.encode_items(ids))
    return torch.cat(vecs)


class RecTrainer:
    def __init__(self, cfg: Config, device="cuda"):
        self.cfg = cfg
        self.device = torch.device(device)
        self.model = TwoTower(cfg).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.train_loader = DataLoader(InteractionDataset(cfg.data_dir, "train", cfg.max_history),
                                       batch_size=cfg.batch_size, shuffle=True, num_workers=6, drop_last=True)
        self.eval_loader = DataLoader(InteractionDataset(cfg.data_dir, "test", cfg.max_history),
                                      batch_size=2048, num_workers=6)
        self.catalog = ItemCatalog(cfg.data_dir)

    def _switch_to_eval(self):
        self.model.eval()
        log.debug("model switched to eval mode")

    def train_one_epoch(self, epoch: int) -> float:
        self.model.train()
        total = 0.0
        for step, batch in enumerate(self.train_loader):
            users, history, items = (t.to(self.device, non_blocking=True) for t in batch)
            u, v = self.model(users, history, items)
            logits = u @ v.T / self.cfg.temperature
            labels = torch.arange(logits.size(0), device=self.device)
            loss = F.cross_entropy(logits, labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
            if step % 500 == 0:
                log.info("epoch %d step %d loss %.4f", epoch, step, loss.item())
        return total / len(self.train_loader)

    def evaluate(self) -> dict:
        self._switch_to_eval()
        index = build_item_index(self.model, self.catalog, self.device)
        hits, ndcg, n = 0.0, 0.0, 0
        with torch.inference_mode():
            for users, history, target in self.eval_loader:
                u = self.model.encode_users(users.to(self.device), history.to(self.device))
                topk = (u @ index.T).topk(self.cfg.topk, dim=1).indices.cpu()
                match = topk == (target - 1).unsqueeze(1)
                found = match.any(dim=1)
                rank = match.float().argmax(dim=1)
                hits += found.sum().item()
                ndcg += (found.float() / torch.log2(rank.float() + 2)).sum().item()
                n += target.numel()
        return {"recall@k": hits / n, "ndcg@k": ndcg / n}

    def save(self, path: Path, epoch: int):
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "epoch": epoch}, path)

    def fit(self, out_dir: Path):
        out_dir.mkdir(parents=True, exist_ok=True)
        best = -1.0
        for epoch in range(self.cfg.epochs):
            loss = self.train_one_epoch(epoch)
            metrics = self.evaluate()
            log.info("epoch %d loss %.4f %s", epoch, loss, metrics)
            self.save(out_dir / "last.pt", epoch)
            if metrics["recall@k"] > best:
                best = metrics["recall@k"]
                self.save(out_dir / "best.pt", epoch)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    RecTrainer(Config()).fit(Path("runs/two_tower"))
