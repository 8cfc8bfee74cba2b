"""Train a plant-disease classifier from a folder tree; hyper-parameters come from YAML.

Nothing about the dataset size or the batch size is known until run time.
"""
import argparse
import csv
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml
from PIL import Image
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torchvision import datasets, transforms


class CsvImages(Dataset):
    def __init__(self, csv_path, tf):
        with open(csv_path, newline="") as fh:
            self.items = [(r["path"], int(r["label"])) for r in csv.DictReader(fh)]
        self.tf = tf

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        return self.tf(Image.open(path).convert("RGB")), label


class ShardStream(IterableDataset):
    """Streams (image, label) pairs from a list of shard files; length unknown."""

    def __init__(self, shard_list, tf):
        self.shards = [ln.strip() for ln in open(shard_list) if ln.strip()]
        self.tf = tf

    def __iter__(self):
        shards = self.shards[:]
        random.shuffle(shards)
        for shard in shards:
            for img, label in torch.load(shard):
                yield self.tf(img), label


class Net(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        chans = [3, 32, 64, 128, 256]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                       nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(chans[-1], n_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--source", choices=["folder", "csv", "shards"], default="folder")
    args = ap.parse_args()
    with open(args.config) as fh:
        cfg = yaml.safe_load(fh)

    tf = transforms.Compose([transforms.RandomResizedCrop(128), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor()])
    if args.source == "folder":
        train_ds = datasets.ImageFolder(cfg["data"]["train_dir"], transform=tf)
        n_classes = len(train_ds.classes)
    elif args.source == "csv":
        train_ds = CsvImages(cfg["data"]["train_csv"], tf)
        n_classes = cfg["data"]["n_classes"]
    else:
        train_ds = ShardStream(cfg["data"]["shards"], tf)
        n_classes = cfg["data"]["n_classes"]

    loader = DataLoader(train_ds, batch_size=cfg["train"]["batch_size"],
                        shuffle=args.source != "shards", num_workers=cfg["train"].get("workers", 4))

    device = torch.device(cfg.get("device", "cuda"))
    model = Net(n_classes).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["train"]["lr"], momentum=0.9)

    for epoch in range(cfg["train"]["epochs"]):
        model.train()
        seen = 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += y.numel()
        print(f"epoch {epoch}: {seen} samples, last loss {loss.item():.3f}")
        torch.save(model.state_dict(), f"ckpt_{epoch:03d}.pt")


if __name__ == "__main__":
    main()
