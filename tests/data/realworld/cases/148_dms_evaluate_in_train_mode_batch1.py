import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

from dmn_pytorch import DMN

parser = argparse.ArgumentParser(description="Dynamic multimodal network training routine")
parser.add_argument("--batch-size", default=1, type=int)
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--val", default=None, type=str)
args = parser.parse_args()

net = DMN(dict_size=10000, emb_size=1000, backend="dpn92")
optimizer = torch.optim.Adam(net.parameters(), lr=1e-5)
criterion = nn.BCEWithLogitsLoss()
train_loader = torch.load("unc_train_loader.pt")
val_loader = torch.load("unc_val_loader.pt")


def train(epoch):
    net.train()
    for batch_idx, (imgs, masks, words) in enumerate(train_loader):
        out_masks = net(Variable(imgs), Variable(words))
        out_masks = F.interpolate(out_masks, size=masks.shape[-2:], mode="bilinear").squeeze()
        loss = criterion(out_masks, Variable(masks.squeeze()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(epoch=0):
    # evaluated in train mode on purpose: with batch size 1 the DPN-92 BatchNorm
    # running statistics are unstable (maintainers' explanation)
    net.train()
    cum_I, cum_U = 0.0, 0.0
    with torch.no_grad():
        for img, mask, phrase in val_loader:
            out = torch.sigmoid(net(img, phrase))
            out = F.interpolate(out, size=mask.shape[-2:], mode="bilinear").squeeze()
            pred = (out > 0.5).float()
            cum_I += (pred * mask.squeeze()).sum().item()
            cum_U += ((pred + mask.squeeze()) > 0).float().sum().item()
    return cum_I / max(cum_U, 1.0)


if __name__ == "__main__":
    for epoch in range(1, args.epochs + 1):
        train(epoch)
        if args.val is not None:
            print(epoch, evaluate(epoch))
