"""Fold-ensemble inference with flip TTA."""
import argparse
import glob
import os

import torch
from PIL import Image
from torchvision import transforms

from models.net import build_net


def load(path, n_classes, device):
    model = build_net(n_classes, pretrained=False)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    model.to(device)
    model.eval()
    return model


@torch.inference_mode()
def tta_logits(models, x):
    out = 0
    for m in models:
        out = out + m(x).softmax(1) + m(torch.flip(x, dims=[3])).softmax(1)
    return out / (2 * len(models))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--n-classes", type=int, required=True)
    ap.add_argument("--ckpts", default="herb_r101_fold*.pth")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    models = [load(p, args.n_classes, device) for p in sorted(glob.glob(args.ckpts))]
    tf = transforms.Compose([transforms.Resize((384, 384)), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    for path in sorted(glob.glob(os.path.join(args.images, "*.jpg"))):
        x = tf(Image.open(path).convert("RGB")).unsqueeze(0).to(device)
        probs = tta_logits(models, x)
        print(os.path.basename(path), int(probs.argmax(1)), f"{probs.max().item():.3f}")


if __name__ == "__main__":
    main()
