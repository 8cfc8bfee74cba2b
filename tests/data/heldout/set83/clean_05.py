"""Inference for the BTCV spleen/liver/kidney model with flip test-time augmentation.

    python predict_btcv.py --ckpt runs/btcv_unet/best_metric_model.pth --images /data/BTCV/imagesTs --out preds/
"""
import argparse
import glob
import os

import nibabel as nib
import numpy as np
import torch
from monai.data import DataLoader, Dataset
from monai.inferers import sliding_window_inference
from monai.networks.layers import Norm
from monai.networks.nets import UNet
from monai.transforms import (Compose, EnsureChannelFirstd, LoadImaged, Orientationd, ScaleIntensityRanged,
                              Spacingd)

FLIP_AXES = [None, (2,), (3,), (4,), (2, 3)]


def build_model(n_classes):
    return UNet(
        spatial_dims=3,
        in_channels=1,
        out_channels=n_classes,
        channels=(32, 64, 128, 256, 512),
        strides=(2, 2, 2, 2),
        num_res_units=2,
        norm=Norm.BATCH,
    )


def tta_predict(model, image, roi, sw_batch):
    """Average softmax over flipped copies.  Expects `model` already in eval mode."""
    acc = None
    for axes in FLIP_AXES:
        x = torch.flip(image, axes) if axes else image
        logits = sliding_window_inference(x, roi, sw_batch, model, overlap=0.5, mode="gaussian")
        prob = torch.softmax(logits, 1)
        prob = torch.flip(prob, axes) if axes else prob
        acc = prob if acc is None else acc + prob
    return acc / len(FLIP_AXES)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out", default="preds")
    ap.add_argument("--n-classes", type=int, default=14)
    ap.add_argument("--roi", type=int, nargs=3, default=[96, 96, 96])
    ap.add_argument("--sw-batch", type=int, default=4)
    ap.add_argument("--no-tta", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    files = [{"image": p} for p in sorted(glob.glob(os.path.join(args.images, "*.nii.gz")))]
    tfm = Compose([
        LoadImaged(keys="image", image_only=False),
        EnsureChannelFirstd(keys="image"),
        Orientationd(keys="image", axcodes="RAS"),
        Spacingd(keys="image", pixdim=(1.5, 1.5, 2.0), mode="bilinear"),
        ScaleIntensityRanged(keys="image", a_min=-175, a_max=250, b_min=0.0, b_max=1.0, clip=True),
    ])
    loader = DataLoader(Dataset(files, tfm), batch_size=1, num_workers=4)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(args.n_classes).to(device)
    state = torch.load(args.ckpt, map_location=device)
    model.load_state_dict(state.get("state_dict", state))
    model.eval()

    with torch.inference_mode():
        for batch in loader:
            image = batch["image"].to(device)
            name = os.path.basename(batch["image_meta_dict"]["filename_or_obj"][0])
            if args.no_tta:
                prob = torch.softmax(sliding_window_inference(image, args.roi, args.sw_batch, model, overlap=0.5), 1)
            else:
                prob = tta_predict(model, image, args.roi, args.sw_batch)
            seg = prob.argmax(1)[0].cpu().numpy().astype(np.uint8)
            affine = batch["image_meta_dict"]["affine"][0].numpy()
            nib.save(nib.Nifti1Image(seg, affine), os.path.join(args.out, name.replace(".nii.gz", "_seg.nii.gz")))
            vols = {c: int((seg == c).sum()) for c in range(1, args.n_classes)}
            print(name, "voxels per class:", vols)


if __name__ == "__main__":
    main()
