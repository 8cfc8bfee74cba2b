#!/usr/bin/env python
# coding: utf-8
# # Digit Recognizer -- PyTorch CNN (port of my Keras kernel), ~0.995 LB
#
# 1. pre-train on torchvision MNIST
# 2. fine-tune only the classifier head on the competition's train.csv
# 3. predict test.csv, write submission.csv, export ONNX for the web demo

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BATCH_SIZE = 64
PRETRAIN_EPOCHS = 5
FINETUNE_EPOCHS = 3


class DigitCSV(Dataset):
    def __init__(self, df, has_labels=True):
        if has_labels:
            self.labels = torch.tensor(df["label"].values, dtype=torch.long)
            pixels = df.drop(columns=["label"]).values
        else:
            self.labels = None
            pixels = df.values
        self.images = torch.tensor(pixels, dtype=torch.float32).view(-1, 1, 28, 28) / 255.0

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        if self.labels is None:
            return self.images[idx]
        return self.images[idx], self.labels[idx]


def conv_bn(cin, cout):
    # same hyper-parameters as keras.layers.BatchNormalization()
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout, momentum=0.99, eps=1e-3),  # expect: BN205
        nn.ReLU(inplace=True),
    )


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 32), conv_bn(32, 32), nn.MaxPool2d(2), nn.Dropout(0.25),
            conv_bn(32, 64), conv_bn(64, 64), nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def evaluate(model, loader):
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(DEVICE), yb.to(DEVICE)
            correct += (model(xb).argmax(1) == yb).sum().item()
            n += yb.numel()
    return correct / n


def fit(model, train_dl, valid_dl, epochs, lr):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    for epoch in range(epochs):
        model.train()  # expect: BN105
        total = 0.0
        for xb, yb in train_dl:
            xb, yb = xb.to(DEVICE), yb.to(DEVICE)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        acc = evaluate(model, valid_dl)
        print(f"epoch {epoch + 1}/{epochs}  loss {total / len(train_dl.dataset):.4f}  val acc {acc:.4f}")


def freeze_features(model):
    for p in model.features.parameters():
        p.requires_grad = False
    model.features.eval()  # keep the BN statistics from pre-training


if __name__ == "__main__":
    tfm = transforms.ToTensor()
    mnist_train = datasets.MNIST("../input/mnist", train=True, download=True, transform=tfm)
    mnist_test = datasets.MNIST("../input/mnist", train=False, transform=tfm)
    pre_dl = DataLoader(mnist_train, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
    pre_val_dl = DataLoader(mnist_test, batch_size=512)

    model = DigitNet().to(DEVICE)
    fit(model, pre_dl, pre_val_dl, PRETRAIN_EPOCHS, lr=1e-3)
    torch.save(model.state_dict(), "pretrained.pt")

    df = pd.read_csv("../input/digit-recognizer/train.csv")
    df = df.sample(frac=1.0, random_state=0)
    n_val = len(df) // 10
    train_dl = DataLoader(DigitCSV(df.iloc[n_val:]), batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    valid_dl = DataLoader(DigitCSV(df.iloc[:n_val]), batch_size=512)

    freeze_features(model)
    fit(model, train_dl, valid_dl, FINETUNE_EPOCHS, lr=3e-4)
    torch.save(model.state_dict(), "finetuned.pt")

    # ---- submission
    test_df = pd.read_csv("../input/digit-recognizer/test.csv")
    test_dl = DataLoader(DigitCSV(test_df, has_labels=False), batch_size=512)
    model.eval()
    preds = []
    with torch.no_grad():
        for xb in test_dl:
            preds.append(model(xb.to(DEVICE)).argmax(1).cpu().numpy())
    preds = np.concatenate(preds)
    pd.DataFrame({"ImageId": np.arange(1, len(preds) + 1), "Label": preds}).to_csv("submission.csv", index=False)

    # ---- ONNX export for the web demo (fresh CPU copy of the weights)
    export_model = DigitNet()
    export_model.load_state_dict(torch.load("finetuned.pt", map_location="cpu"))
    dummy = torch.randn(1, 1, 28, 28)
    torch.onnx.export(export_model, dummy, "digit_cnn.onnx", input_names=["image"], output_names=["logits"], opset_version=17)  # expect: BN104
