"""Evaluate a checkpoint with multi-scale + flip testing and export a TorchScript model."""
import argparse

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import configs as C
from datasets import VOCSeg
from models import DeepLabLite
from utils import ConfusionMatrix


@torch.no_grad()
def ms_flip_inference(model, img, scales=(0.75, 1.0, 1.25)):
    h, w = img.shape[-2:]
    prob = 0
    for s in scales:
        x = F.interpolate(img, scale_factor=s, mode="bilinear", align_corners=False)
        for flip in (False, True):
            xi = x.flip(-1) if flip else x
            out = model(xi)
            if flip:
                out = out.flip(-1)
            prob = prob + F.interpolate(out, size=(h, w), mode="bilinear",
                                        align_corners=False).softmax(1)
    return prob


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ckpt")
    p.add_argument("--script-out", default="")
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = C.TRAIN
    loader = DataLoader(VOCSeg(cfg["data_root"], cfg["val_list"], train=False),
                        batch_size=1, num_workers=2)

    model = DeepLabLite().to(device)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.eval()

    cm = ConfusionMatrix()
    for img, mask in loader:
        prob = ms_flip_inference(model, img.to(device))
        cm.update(prob.argmax(1), mask)
    miou, per_class = cm.miou()
    print(f"MS+flip mIoU: {miou:.4f}")
    print(" ".join(f"{v:.3f}" for v in per_class))

    if args.script_out:
        example = torch.randn(1, 3, C.CROP_SIZE, C.CROP_SIZE, device=device)
        traced = torch.jit.trace(model, example)
        traced.save(args.script_out)


if __name__ == "__main__":
    main()
