"""Evaluate a trained checkpoint on the CIFAR-10 test split, with per-class accuracy."""
import argparse
import os

import torch

import configs as C
from datasets import build_loaders
from models import build_model
from utils import evaluate

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def per_class_accuracy(model, loader, device):
    model.eval()
    correct = torch.zeros(C.NUM_CLASSES)
    total = torch.zeros(C.NUM_CLASSES)
    with torch.no_grad():
        for images, targets in loader:
            preds = model(images.to(device)).argmax(1).cpu()
            for c in range(C.NUM_CLASSES):
                m = targets == c
                total[c] += m.sum()
                correct[c] += (preds[m] == c).sum()
    return (100.0 * correct / total.clamp(min=1)).tolist()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", default=os.path.join(C.CKPT_DIR, "best.pth"))
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    _, _, test_loader = build_loaders()

    model = build_model(with_projection=False).to(device)
    state = torch.load(args.ckpt, map_location="cpu")
    missing, unexpected = model.load_state_dict(state["model"], strict=False)
    print("missing:", missing, "unexpected:", [k for k in unexpected if not k.startswith("proj.")])

    acc = evaluate(model, test_loader, device)
    print(f"test top-1: {acc:.2f}")
    for name, a in zip(CLASSES, per_class_accuracy(model, test_loader, device)):
        print(f"  {name:>6s}: {a:.2f}")


if __name__ == "__main__":
    main()
