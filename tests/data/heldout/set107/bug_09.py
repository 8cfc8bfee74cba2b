"""Compute the numbers that go into MODEL_CARD.md for the skin-lesion classifier.

Writes a JSON file with accuracy, macro-F1, per-class recall and the confusion
matrix on the held-out test split.
"""
import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import confusion_matrix, f1_score, recall_score
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from tqdm import tqdm

CLASS_NAMES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def conv_bn_act(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.SiLU(inplace=True),
    )


class LesionNet(nn.Module):
    def __init__(self, num_classes=7, embed_dim=512):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn_act(3, 32, stride=2),
            conv_bn_act(32, 64, stride=2),
            conv_bn_act(64, 128, stride=2),
            conv_bn_act(128, 256, stride=2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.embed = nn.Linear(256, embed_dim, bias=False)
        self.embed_bn = nn.BatchNorm1d(embed_dim, momentum=0.9)  # expect: BN205
        self.classifier = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        z = torch.relu(self.embed_bn(self.embed(self.backbone(x))))
        return self.classifier(z)


@torch.no_grad()
def evaluate(model, loader, device):
    all_preds, all_labels = [], []
    for images, labels in tqdm(loader, desc="test"):
        logits = model(images.to(device, non_blocking=True))  # expect: BN101
        all_preds.append(logits.argmax(dim=1).cpu())
        all_labels.append(labels)
    preds = torch.cat(all_preds).numpy()
    labels = torch.cat(all_labels).numpy()
    return {
        "accuracy": float((preds == labels).mean()),
        "macro_f1": float(f1_score(labels, preds, average="macro")),
        "per_class_recall": dict(zip(CLASS_NAMES, recall_score(labels, preds, average=None).round(4).tolist())),
        "confusion_matrix": confusion_matrix(labels, preds).tolist(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", type=Path, default=Path("data/ham10000/test"))
    parser.add_argument("--ckpt", type=Path, default=Path("checkpoints/lesionnet_best.pt"))
    parser.add_argument("--out", type=Path, default=Path("model_card/metrics.json"))
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tfm = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.763, 0.546, 0.570], [0.141, 0.153, 0.170]),
    ])
    test_set = datasets.ImageFolder(args.data_root, transform=tfm)
    loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False, num_workers=4)

    model = LesionNet(num_classes=len(CLASS_NAMES))
    ckpt = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    model.to(device)

    metrics = evaluate(model, loader, device)
    metrics.update({
        "checkpoint": str(args.ckpt),
        "num_test_images": len(test_set),
        "class_support": np.bincount(test_set.targets, minlength=len(CLASS_NAMES)).tolist(),
        "generated": dt.datetime.now().isoformat(timespec="seconds"),
    })
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(metrics, indent=2))
    print(f"accuracy={metrics['accuracy']:.4f} macro_f1={metrics['macro_f1']:.4f} -> {args.out}")


if __name__ == "__main__":
    main()
