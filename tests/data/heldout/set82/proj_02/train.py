import argparse

import torch
from torch.utils.data import DataLoader

from config import Config
from data import RespiratoryCycles, pad_collate
from engine import evaluate, save, train_one_epoch
from models import LungSoundNet


def main():
    cfg = Config()
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=cfg.batch_size)
    ap.add_argument("--epochs", type=int, default=cfg.epochs)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = RespiratoryCycles(cfg, "train")
    test_set = RespiratoryCycles(cfg, "test")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=pad_collate, num_workers=4, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=64, collate_fn=pad_collate, num_workers=4)

    counts = torch.bincount(torch.tensor([c[-1] for c in train_set.cycles]), minlength=len(cfg.classes))
    class_weights = (counts.sum() / (len(cfg.classes) * counts.clamp(min=1))).float().to(device)

    model = LungSoundNet(len(cfg.classes), cfg.widths).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    best = -1.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device, class_weights)
        metrics = evaluate(model, test_loader, device, len(cfg.classes))
        scheduler.step()
        print(f"epoch {epoch:3d} loss {loss:.4f} SE {metrics['se']:.3f} SP {metrics['sp']:.3f} "
              f"score {metrics['score']:.3f}")
        if metrics["score"] > best:
            best = metrics["score"]
            save(model, cfg, "best.pt")
    print("best ICBHI score", best)


if __name__ == "__main__":
    main()
