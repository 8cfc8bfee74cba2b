"""Predict the LA test cases with the best checkpoint and write NIfTI masks."""
import argparse
import os

import nibabel as nib
import numpy as np
import torch
from torch.utils.data import DataLoader

from config import CFG
from data import LAHeart
from models import VNet
from utils import binary_dice, sliding_window_prob


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(CFG["snapshot_dir"], "best_model.pth"))
    ap.add_argument("--out", default="predictions")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    device = torch.device("cuda")
    net = VNet(n_channels=1, n_classes=2, n_filters=CFG["n_filters"]).to(device)
    net.load_state_dict(torch.load(args.ckpt, map_location=device))
    net.eval()

    ds = LAHeart(CFG["root"], CFG["test_list"], train=False)
    loader = DataLoader(ds, batch_size=1, shuffle=False)
    dices = []
    with torch.no_grad():
        for case, (image, label) in zip(ds.cases, loader):
            prob = sliding_window_prob(net, image.to(device), CFG["patch_size"])
            pred = prob.argmax(1)[0].cpu().numpy().astype(np.uint8)
            dices.append(binary_dice(pred, label[0].numpy()))
            nib.save(nib.Nifti1Image(pred, np.eye(4)), os.path.join(args.out, f"{case}.nii.gz"))
            print(f"{case}: dice {dices[-1]:.4f}")
    print(f"mean dice {np.mean(dices):.4f} +- {np.std(dices):.4f}")


if __name__ == "__main__":
    main()
