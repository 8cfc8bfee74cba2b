# A: "`model.eval` without parentheses just looks up the bound method and throws it
# away -- it doesn't switch anything. You need to *call* it: model.eval(). Your model
# is still in training mode, so every BatchNorm uses the statistics of the current
# batch (hence the dependence on the other images) and Dropout is active."
#
# Corrected inference script; added an assert so this can't silently happen again.

import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn
from PIL import Image
from torchvision import transforms

IMG_SIZE = 128


class ConvNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        chans = [3, 32, 64, 128, 256]
        blocks = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            blocks.append(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False))
            blocks.append(nn.BatchNorm2d(c_out))
            blocks.append(nn.ReLU(inplace=True))
            blocks.append(nn.MaxPool2d(2))
        self.body = nn.Sequential(*blocks)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(chans[-1], num_classes)

    def forward(self, x):
        x = self.gap(self.body(x)).flatten(1)
        if self.training:
            x = self.drop(x)
        return self.fc(x)


def load_model(weights, num_classes, device):
    model = ConvNet(num_classes=num_classes)
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    return model.to(device).eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image_dir")
    parser.add_argument("--weights", default="flowers_convnet.pt")
    parser.add_argument("--classes", default="classes.json")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--out", default="predictions.json")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    classes = json.loads(Path(args.classes).read_text())

    model = load_model(args.weights, len(classes), device)
    assert not model.training, "model must be in eval mode for inference"
    print("eval method:", model.eval.__name__)

    tfm = transforms.Compose([
        transforms.Resize((IMG_SIZE, IMG_SIZE)),
        transforms.ToTensor(),
        transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
    ])

    paths = sorted(Path(args.image_dir).glob("*.jpg"))
    results = {}
    with torch.no_grad():
        for i in range(0, len(paths), args.batch_size):
            chunk = paths[i:i + args.batch_size]
            batch = torch.stack([tfm(Image.open(p).convert("RGB")) for p in chunk]).to(device)
            probs = torch.softmax(model(batch), dim=1)
            conf, idx = probs.max(dim=1)
            for p, c, k in zip(chunk, conf.tolist(), idx.tolist()):
                results[p.name] = {"label": classes[k], "confidence": round(c, 4)}

    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {len(results)} predictions to {args.out}")


if __name__ == "__main__":
    main()
