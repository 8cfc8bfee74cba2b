"""Single-process evaluation of the EMA weights (plain BatchNorm, no process group)."""
import argparse
import os

import torch
from torch.utils.data import DataLoader

import configs as C
from datasets import build_datasets
from models import build_model
from utils import evaluate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(C.OUT_DIR, "best.pth"))
    ap.add_argument("--which", choices=["model", "ema"], default="ema")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    _, val_set = build_datasets()
    loader = DataLoader(val_set, batch_size=256, num_workers=8)

    model = build_model().to(device)
    state = torch.load(args.ckpt, map_location="cpu")[args.which]
    model.load_state_dict(state)      # SyncBatchNorm and BatchNorm2d share the same keys

    acc = evaluate(model, loader, device, distributed=False)
    print(f"{args.which} top-1 on val: {100 * acc:.2f}")

    model.eval()
    with torch.no_grad():
        x = torch.randn(4, 3, C.IMG_SIZE, C.IMG_SIZE, device=device)
        ref = model(x)
        again = model(x)
    assert torch.allclose(ref, again), "eval-mode output should be deterministic"


if __name__ == "__main__":
    main()
