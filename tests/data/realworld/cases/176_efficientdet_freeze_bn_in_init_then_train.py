import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data as data

from data import VOCDetection, detection_collate
from models.losses import FocalLoss
from models.retinahead import RetinaHead
from models.bifpn import BIFPN
from models.efficientnet import EfficientNet


class EfficientDet(nn.Module):
    def __init__(self, num_classes, network="efficientdet-d0", W_bifpn=64, D_bifpn=2):
        super().__init__()
        self.backbone = EfficientNet.from_pretrained(network)
        self.neck = BIFPN(in_channels=[40, 80, 112, 192, 320], out_channels=W_bifpn, num_outs=5)
        self.bbox_head = RetinaHead(num_classes=num_classes, in_channels=W_bifpn)
        self.freeze_bn()

    def forward(self, inputs):
        return self.bbox_head(self.neck(self.backbone(inputs)))

    def freeze_bn(self):
        for layer in self.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.eval()


parser = argparse.ArgumentParser(description="EfficientDet Training With Pytorch")
parser.add_argument("--dataset_root", default="VOCdevkit")
parser.add_argument("--num_epoch", default=500, type=int)
parser.add_argument("--batch_size", default=32, type=int)
parser.add_argument("--lr", "--learning-rate", default=1e-3, type=float)
args = parser.parse_args()


def train():
    dataset = VOCDetection(root=args.dataset_root)
    data_loader = data.DataLoader(dataset, args.batch_size, num_workers=0, shuffle=True, collate_fn=detection_collate)
    model = EfficientDet(num_classes=21)
    model = model.cuda()
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    criterion = FocalLoss()
    model.train()
    for epoch in range(args.num_epoch):
        total_loss = []
        for idx, sample in enumerate(data_loader):
            classification, regression, anchors = model(sample["img"].cuda())
            classification_loss, regression_loss = criterion(classification, regression, anchors, sample["annot"])
            loss = classification_loss.mean() + regression_loss.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss.append(loss.item())
        print("Epoch {}: loss {}".format(epoch, np.mean(total_loss)))


if __name__ == "__main__":
    train()
