import sys

import torch

from repro.config import CONFIG
from repro.data import make_loaders
from repro.engine import evaluate, train_one_epoch
from repro.model import SmallCNN


def main(num_workers):
    torch.manual_seed(0)
    train_loader, val_loader = make_loaders(CONFIG, num_workers=num_workers)
    model = SmallCNN(width=CONFIG["width"])
    opt = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], momentum=0.9)
    for epoch in range(CONFIG["epochs"]):
        loss = train_one_epoch(model, train_loader, opt)
        acc = evaluate(model, val_loader)
        print(f"[workers={num_workers}] epoch {epoch}: loss {loss:.4f} val_acc {acc:.4f}")

    model.eval()  # evaluate() already did this; keep it explicit for the repro
    with torch.no_grad():
        sample = next(iter(val_loader))[0]
        print("single-sample logits:", model(sample))
    return acc


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    main(workers)
