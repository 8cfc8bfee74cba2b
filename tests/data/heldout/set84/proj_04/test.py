"""Single-GPU evaluation of a saved checkpoint (top-1 / top-5)."""
import argparse

import torch

from configs import CONFIG
from datasets import build_datasets, build_val_loader
from models import build_model
from utils import accuracy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    _, val_set = build_datasets(CONFIG)
    loader = build_val_loader(val_set, args.batch_size, CONFIG["data"]["workers_per_gpu"],
                              distributed=False)

    model = build_model(CONFIG)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.to(device).eval()

    c1 = c5 = n = 0
    with torch.no_grad():
        for images, target in loader:
            images, target = images.to(device), target.to(device)
            out = model(images)
            a1, a5 = accuracy(out, target, topk=(1, 5))
            c1 += a1.item()
            c5 += a5.item()
            n += target.numel()
    print(f"top1 {100 * c1 / n:.2f}  top5 {100 * c5 / n:.2f}")


if __name__ == "__main__":
    main()
