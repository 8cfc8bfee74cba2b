import argparse
import os

import numpy as np
import torch
from PIL import Image

from data import to_tensor
from models import build_model

PALETTE = np.random.RandomState(0).randint(0, 255, size=(256, 3), dtype=np.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("images", nargs="+")
    parser.add_argument("--weights", default="runs/segnet_best.pth")
    parser.add_argument("--num-classes", type=int, default=21)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--out-dir", default="masks")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(args.num_classes)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device)
    os.makedirs(args.out_dir, exist_ok=True)

    for path in args.images:
        img = Image.open(path).convert("RGB")
        w, h = img.size
        x = to_tensor(img.resize((args.size, args.size), Image.BILINEAR)).unsqueeze(0).to(device)
        with torch.inference_mode():
            logits = model(x)  # expect: BN101
        mask = logits.argmax(1)[0].byte().cpu().numpy()
        out = Image.fromarray(PALETTE[mask]).resize((w, h), Image.NEAREST)
        out.save(os.path.join(args.out_dir, os.path.splitext(os.path.basename(path))[0] + ".png"))
        print(path, "->", np.unique(mask).tolist())


if __name__ == "__main__":
    main()
