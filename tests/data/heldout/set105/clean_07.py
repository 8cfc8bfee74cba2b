"""infer.py -- test-time inference for the fine-tuned EfficientNet-B2 (timm).

    python infer.py --ckpt best.pth --images test/ --tta --onnx model.onnx
"""
import argparse
import csv
from pathlib import Path

import timm
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

IMG_SIZE = 288
LABELS = ["benign", "malignant", "normal"]


class UltrasoundNet(nn.Module):
    def __init__(self, arch="efficientnet_b2", num_classes=3):
        super().__init__()
        self.body = timm.create_model(arch, pretrained=False, num_classes=0)
        self.neck = nn.Sequential(
            nn.Linear(self.body.num_features, 512, bias=False),
            nn.BatchNorm1d(512, eps=1e-3, momentum=0.01),
            nn.SiLU(),
        )
        self.head = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.head(self.neck(self.body(x)))


class ImageDir(Dataset):
    def __init__(self, root):
        self.files = sorted(p for p in Path(root).iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
        self.tf = transforms.Compose([
            transforms.Resize((IMG_SIZE, IMG_SIZE)),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.tf(Image.open(self.files[i]).convert("RGB")), self.files[i].name


def load_model(ckpt_path, device):
    model = UltrasoundNet()
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    return model.to(device).eval()


@torch.inference_mode()
def predict(model, loader, device, tta=False):
    results = []
    for x, names in loader:
        x = x.to(device)
        probs = model(x).softmax(1)
        if tta:
            probs = probs + model(x.flip(3)).softmax(1) + model(x.flip(2)).softmax(1)
            probs = probs / 3
        for name, p in zip(names, probs.cpu()):
            results.append((name, LABELS[int(p.argmax())], float(p.max())))
    return results


def export_onnx(model, path, device):
    dummy = torch.randn(1, 3, IMG_SIZE, IMG_SIZE, device=device)
    torch.onnx.export(model, dummy, path, input_names=["input"], output_names=["logits"], opset_version=17, dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out", default="predictions.csv")
    ap.add_argument("--tta", action="store_true")
    ap.add_argument("--onnx", default=None)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.ckpt, device)

    loader = DataLoader(ImageDir(args.images), batch_size=1, shuffle=False, num_workers=2)
    rows = predict(model, loader, device, tta=args.tta)
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "label", "confidence"])
        writer.writerows(rows)
    print(f"{len(rows)} predictions -> {args.out}")

    if args.onnx:
        export_onnx(model, args.onnx, device)
        print(f"ONNX model written to {args.onnx}")


if __name__ == "__main__":
    main()
