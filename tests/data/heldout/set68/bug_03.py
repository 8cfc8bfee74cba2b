"""Tabular churn classifier trained with PyTorch-Ignite engines.

Custom process functions are used (instead of create_supervised_*) because
the batches carry a categorical block and a numeric block.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from ignite.engine import Engine, Events
from ignite.handlers import EarlyStopping, ModelCheckpoint
from ignite.metrics import Accuracy, Loss, RunningAverage
from torch.utils.data import DataLoader, TensorDataset


class ChurnNet(nn.Module):
    def __init__(self, n_numeric: int, cardinalities, emb_dim: int = 8, hidden: int = 256, n_classes: int = 2):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, emb_dim) for c in cardinalities)
        in_dim = n_numeric + emb_dim * len(cardinalities)
        self.numeric_norm = nn.BatchNorm1d(n_numeric)
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden, 0.1),  # expect: BN206
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.ReLU(inplace=True),
            nn.Linear(hidden // 2, n_classes),
        )

    def forward(self, x_num, x_cat):
        embs = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]
        h = torch.cat([self.numeric_norm(x_num), *embs], dim=1)
        return self.mlp(h)


def synthetic_split(n: int, n_numeric: int, cards, seed: int):
    g = torch.Generator().manual_seed(seed)
    x_num = torch.randn(n, n_numeric, generator=g)
    x_cat = torch.stack([torch.randint(0, c, (n,), generator=g) for c in cards], dim=1)
    y = ((x_num[:, 0] + 0.5 * x_num[:, 1] + (x_cat[:, 0] % 2)) > 0.7).long()
    return TensorDataset(x_num, x_cat, y)


def run(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cards = [12, 5, 31]
    n_numeric = 14
    train_ds = synthetic_split(5000, n_numeric, cards, seed=0)
    val_ds = synthetic_split(1000, n_numeric, cards, seed=1)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=512)

    model = ChurnNet(n_numeric, cards).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    class_weights = torch.tensor([1.0, 3.0], device=device)

    def prepare(batch):
        x_num, x_cat, y = batch
        return x_num.to(device), x_cat.to(device), y.to(device)

    def train_step(engine, batch):
        model.train()
        optimizer.zero_grad()
        x_num, x_cat, y = prepare(batch)
        logits = model(x_num, x_cat)
        loss = F.cross_entropy(logits, y, weight=class_weights)
        loss.backward()
        optimizer.step()
        return loss.item()

    def eval_step(engine, batch):
        with torch.no_grad():
            x_num, x_cat, y = prepare(batch)
            logits = model(x_num, x_cat)  # expect: BN101
            return logits, y

    trainer = Engine(train_step)
    evaluator = Engine(eval_step)
    RunningAverage(output_transform=lambda loss: loss).attach(trainer, "loss")
    Accuracy().attach(evaluator, "accuracy")
    Loss(nn.CrossEntropyLoss()).attach(evaluator, "nll")

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_validation(engine):
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        print(f"epoch {engine.state.epoch}: loss {engine.state.metrics['loss']:.4f} "
              f"val acc {m['accuracy']:.4f} val nll {m['nll']:.4f}")

    def score_fn(engine):
        return engine.state.metrics["accuracy"]

    evaluator.add_event_handler(
        Events.COMPLETED,
        EarlyStopping(patience=args.patience, score_function=score_fn, trainer=trainer),
    )
    checkpointer = ModelCheckpoint(
        args.out_dir, "churn", n_saved=2, require_empty=False,
        score_function=score_fn, score_name="val_acc",
    )
    evaluator.add_event_handler(Events.COMPLETED, checkpointer, {"model": model})

    trainer.run(train_loader, max_epochs=args.epochs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--out-dir", default="checkpoints/churn")
    run(parser.parse_args())
