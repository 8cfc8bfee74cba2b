import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import configs as C
from datasets import IntentDataset, Vocab, pad_collate
from models import IntentClassifier
from utils import build_optimizer, validate, warmup_cosine


def main():
    cfg = C.TRAIN_CFG
    device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(cfg["out"], exist_ok=True)

    vocab = Vocab()
    train_set = IntentDataset("train", vocab)
    val_set = IntentDataset("valid", vocab, label_map=train_set.label_map)

    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, collate_fn=pad_collate, num_workers=cfg["num_workers"])  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=cfg["eval_batch_size"], collate_fn=pad_collate)

    model = IntentClassifier(vocab_size=len(vocab), num_classes=len(train_set.label_map)).to(device)
    optimizer = build_optimizer(model, cfg["lr"], cfg["weight_decay"])
    total = cfg["epochs"] * len(train_loader)
    scheduler = warmup_cosine(optimizer, cfg["warmup_steps"], total)

    best_acc = 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        running = 0.0
        for i, (tokens, lengths, labels) in enumerate(train_loader):
            tokens, lengths, labels = tokens.to(device), lengths.to(device), labels.to(device)
            logits = model(tokens, lengths)
            loss = F.cross_entropy(logits, labels, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
            optimizer.step()
            scheduler.step()
            running += loss.item()
            if (i + 1) % 200 == 0:
                print(f"[{epoch}] {i + 1}/{len(train_loader)} loss {running / 200:.4f}")
                running = 0.0

        val_loss, val_acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: val loss {val_loss:.4f} acc {val_acc:.4f}")
        if val_acc > best_acc:
            best_acc = val_acc
            torch.save({"model": model.state_dict(), "label_map": train_set.label_map},
                       os.path.join(cfg["out"], "best.pt"))


if __name__ == "__main__":
    main()
