"""Test-set report with flip TTA, then export a TorchScript model for the app."""
import argparse
import os

import torch

from config import CFG
from datasets import build_eval_loader
from models import build_model
from utils import export_torchscript, predict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(CFG["out_dir"], "best.pth"))
    ap.add_argument("--export", default="")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    loader = build_eval_loader(CFG, "test")          # batch_size=1
    model = build_model(CFG, load_pretrained=False)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.to(device)
    model.eval()

    probs = predict(model, loader, device, tta=True)
    targets = torch.tensor(loader.dataset.targets)
    preds = probs.argmax(1)
    acc = (preds == targets).float().mean().item()
    print(f"test acc (flip TTA): {acc:.4f}")

    classes = loader.dataset.classes
    for c in range(CFG["num_classes"]):
        m = targets == c
        if m.any():
            print(f"{classes[c]:<45s} {(preds[m] == c).float().mean().item():.3f}")

    if args.export:
        export_torchscript(model, args.export, CFG["img_size"])
        print("saved", args.export)


if __name__ == "__main__":
    main()
