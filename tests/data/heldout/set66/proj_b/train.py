"""Train the two-tower retrieval model on click impressions.

    python train.py --out /checkpoints/two_tower
"""
from __future__ import annotations

import argparse
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset

from config import MODEL, TRAIN
from metrics import evaluate_auc, to_device
from models import build_model


class ImpressionStream(IterableDataset):
    """Streams pre-tensorised impression shards written by the feature pipeline."""

    def __init__(self, root: str):
        super().__init__()
        self.root = root

    def _shards(self):
        return sorted(os.path.join(self.root, f) for f in os.listdir(self.root) if f.endswith(".pt"))

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        shards = self._shards()
        if info is not None:
            shards = shards[info.id::info.num_workers]
        for path in shards:
            shard = torch.load(path)
            for i in range(shard["label"]["click"].shape[0]):
                yield {part: {k: v[i] for k, v in feats.items()} for part, feats in shard.items()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="/checkpoints/two_tower")
    p.add_argument("--device", default="cuda")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    model = build_model(MODEL).to(args.device)
    dense_params = [p for n, p in model.named_parameters() if "tables" not in n and "history." not in n]
    sparse_params = [p for n, p in model.named_parameters() if "tables" in n or "history." in n]
    optimizer = torch.optim.AdamW([
        {"params": dense_params, "weight_decay": TRAIN["weight_decay"]},
        {"params": sparse_params, "weight_decay": 0.0},
    ], lr=TRAIN["lr"])

    train_loader = DataLoader(ImpressionStream(TRAIN["train_path"]), batch_size=TRAIN["micro_batch_size"], num_workers=TRAIN["num_workers"])  # expect: BN301
    val_loader = DataLoader(ImpressionStream(TRAIN["val_path"]), batch_size=TRAIN["eval_batch_size"], num_workers=4)

    accum = TRAIN["grad_accum_steps"]
    best_auc = 0.0
    model.train()
    for epoch in range(TRAIN["epochs"]):
        optimizer.zero_grad(set_to_none=True)
        for step, batch in enumerate(train_loader, start=1):
            batch = to_device(batch, args.device)
            logits = model(batch["user"], batch["item"])
            loss = F.binary_cross_entropy_with_logits(logits, batch["label"]["click"].float())
            (loss / accum).backward()
            if step % accum == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            if step % TRAIN["eval_every"] == 0:
                metrics = evaluate_auc(model, val_loader, args.device)  # expect: BN103
                print(f"epoch {epoch} step {step} loss {loss.item():.4f} "
                      f"val_auc {metrics['auc']:.4f} val_logloss {metrics['logloss']:.4f}")
                if metrics["auc"] > best_auc:
                    best_auc = metrics["auc"]
                    torch.save({"model": model.state_dict(), "auc": best_auc},
                               os.path.join(args.out, "best.pt"))
    torch.save({"model": model.state_dict()}, os.path.join(args.out, "last.pt"))


if __name__ == "__main__":
    main()
