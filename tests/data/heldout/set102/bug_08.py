# Q: "Predictions change depending on which other images are in the batch, even though I call model.eval"
#
# Inference script for my flower classifier. If I run the folder with --batch-size 1
# I get NaNs / garbage, with --batch-size 32 the predictions are OK-ish but an image
# gets a different label depending on the other images in its batch. I thought
# no_grad + eval makes inference deterministic?

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
        return self.fc(self.drop(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image_dir")
    parser.add_argument("--weights", default="flowers_convnet.pt")
    parser.add_argument("--classes", default="classes.json")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default="predictions.json")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    classes = json.loads(Path(args.classes).read_text())

    model = ConvNet(num_classes=len(classes)).to(device)
    model.load_state_dict(torch.load(args.weights, map_location=device))
    model.eval  # expect: BN102

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
            probs = torch.softmax(model(batch), dim=1)  # expect: BN101
            conf, idx = probs.max(dim=1)
            for p, c, k in zip(chunk, conf.tolist(), idx.tolist()):
                results[p.name] = {"label": classes[k], "confidence": round(c, 4)}

    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {len(results)} predictions to {args.out}")


if __name__ == "__main__":
    main()
