"""Batch inference over a folder of pre-processed image tensors.

Writes a CSV with (file, class index, confidence) and optionally exports the
network to ONNX for the serving team.
"""
import argparse
import csv
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


def conv_bn(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


def dw_block(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU6(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = conv_bn(3, 32, 2)
        self.blocks = nn.Sequential(
            dw_block(32, 64, 1),
            dw_block(64, 128, 2),
            dw_block(128, 128, 1),
            dw_block(128, 256, 2),
            dw_block(256, 256, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.classifier(torch.flatten(self.pool(x), 1))


class TensorFolder(Dataset):
    """Each file is a float tensor [3, H, W], already normalised."""

    def __init__(self, root):
        self.files = sorted(Path(root).glob("*.pt"))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        path = self.files[idx]
        return str(path.name), torch.load(path)


def iter_predictions(model, loader, device):
    with torch.inference_mode():
        for names, images in loader:
            logits = model(images.to(device, non_blocking=True))  # expect: BN101
            probs = logits.softmax(dim=1)
            conf, idx = probs.max(dim=1)
            for name, c, i in zip(names, conf.tolist(), idx.tolist()):
                yield name, i, c


def load_weights(model, ckpt_path):
    state = torch.load(ckpt_path, map_location="cpu")
    if "model" in state:
        state = state["model"]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: {missing} {unexpected}")
    return model


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("images", type=Path)
    p.add_argument("--ckpt", type=Path, required=True)
    p.add_argument("--num-classes", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", type=Path, default=Path("predictions.csv"))
    p.add_argument("--onnx", type=Path, default=None)
    p.add_argument("--min-confidence", type=float, default=0.0)
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_weights(TinyMobileNet(args.num_classes), args.ckpt).to(device)

    loader = DataLoader(TensorFolder(args.images), batch_size=args.batch_size,
                        num_workers=4, pin_memory=True)
    kept = skipped = 0
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "class", "confidence"])
        for name, cls, conf in iter_predictions(model, loader, device):
            if conf < args.min_confidence:
                skipped += 1
                continue
            writer.writerow([name, cls, f"{conf:.5f}"])
            kept += 1
    print(f"wrote {kept} rows to {args.out} ({skipped} below threshold)")

    if args.onnx is not None:
        dummy = torch.randn(1, 3, 224, 224, device=device)
        torch.onnx.export(model, dummy, str(args.onnx), opset_version=17,  # expect: BN104
                          input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        print(f"exported {args.onnx}")


if __name__ == "__main__":
    main()
