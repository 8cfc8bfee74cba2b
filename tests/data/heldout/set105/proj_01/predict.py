"""Write top-5 predictions for a folder of car images."""
import argparse
import csv
import os

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from finetune.config import TrainConfig
from finetune.engine import predict
from finetune.models import build_model


class Folder(Dataset):
    def __init__(self, root, tf):
        self.paths = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith(".jpg"))
        self.tf = tf

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tf(Image.open(self.paths[i]).convert("RGB")), i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--ckpt", default="runs/cars_regnety16/last.pth")
    ap.add_argument("--out", default="top5.csv")
    args = ap.parse_args()

    cfg = TrainConfig()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(cfg, pretrained=False)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model.to(device)

    tf = transforms.Compose([transforms.Resize((cfg.img_size, cfg.img_size)), transforms.ToTensor(), transforms.Normalize(cfg.mean, cfg.std)])
    ds = Folder(args.images, tf)
    probs = predict(model, DataLoader(ds, batch_size=64, num_workers=4), device)
    top5 = probs.topk(5, dim=1).indices.tolist()
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "top5"])
        for path, t in zip(ds.paths, top5):
            w.writerow([os.path.basename(path), " ".join(map(str, t))])


if __name__ == "__main__":
    main()
