"""Traffic-sign recognition (GTSRB): `train` and `predict` subcommands.

    python gtsrb.py train --data ./GTSRB
    python gtsrb.py predict --checkpoint gtsrb.pt img1.png img2.png
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

IMG_SIZE = 48
NUM_CLASSES = 43
TF = transforms.Compose([
    transforms.Resize((IMG_SIZE, IMG_SIZE)),
    transforms.ToTensor(),
    transforms.Normalize((0.34, 0.31, 0.32), (0.27, 0.26, 0.27)),
])


class SignNet(nn.Module):
    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        layers, c_in = [], 3
        for c_out in widths:
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
                nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in * (IMG_SIZE // 8) ** 2, NUM_CLASSES)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class ImageFiles(Dataset):
    def __init__(self, paths):
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return TF(Image.open(self.paths[i]).convert("RGB")), self.paths[i]


def cmd_train(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    aug = transforms.Compose([transforms.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1)), TF])
    train_set = datasets.GTSRB(args.data, split="train", transform=aug, download=True)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    model = SignNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}")
    torch.save(model.state_dict(), args.checkpoint)


def cmd_predict(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = SignNet()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model = model.to(device)
    model.eval()
    loader = DataLoader(ImageFiles(args.images), batch_size=1)
    with torch.inference_mode():
        for image, (path,) in loader:
            probs = F.softmax(model(image.to(device)), dim=1)[0]
            conf, cls = probs.max(0)
            print(f"{path}\tclass={cls.item()}\tconfidence={conf.item():.3f}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train")
    train.add_argument("--data", default="./data")
    train.add_argument("--batch-size", type=int, default=256)
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--checkpoint", default="gtsrb.pt")
    train.set_defaults(func=cmd_train)
    predict = sub.add_parser("predict")
    predict.add_argument("--checkpoint", default="gtsrb.pt")
    predict.add_argument("images", nargs="+")
    predict.set_defaults(func=cmd_predict)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
