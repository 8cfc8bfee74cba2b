"""Evaluate the best teacher on the test split and print a confusion matrix."""
import argparse
import os

import torch
from torch.utils.data import DataLoader

import configs as C
from datasets import TokenizedReviews
from models import ReviewModel


def confusion(preds, labels, k):
    cm = torch.zeros(k, k, dtype=torch.long)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[t, p] += 1
    return cm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(C.OUT_DIR, "teacher_best.pt"))
    ap.add_argument("--batch-size", type=int, default=1)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loader = DataLoader(TokenizedReviews(C.TEST_FILE), batch_size=args.batch_size)

    model = ReviewModel()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.to(device)
    model.train(mode=False)

    preds, golds = [], []
    with torch.inference_mode():
        for tokens, labels, _ in loader:
            preds.append(model(tokens.to(device)).argmax(-1).cpu())
            golds.append(labels)
    preds, golds = torch.cat(preds), torch.cat(golds)
    print(f"test accuracy: {(preds == golds).float().mean().item():.4f}")
    print(confusion(preds, golds, C.NUM_CLASSES))


if __name__ == "__main__":
    main()
