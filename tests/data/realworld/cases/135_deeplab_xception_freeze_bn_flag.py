import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from modeling.aspp import build_aspp
from modeling.backbone import build_backbone
from modeling.decoder import build_decoder
from modeling.sync_batchnorm.batchnorm import SynchronizedBatchNorm2d


class DeepLab(nn.Module):
    def __init__(self, backbone="resnet", output_stride=16, num_classes=21, sync_bn=True, freeze_bn=False):
        super().__init__()
        BatchNorm = SynchronizedBatchNorm2d if sync_bn else nn.BatchNorm2d
        self.backbone = build_backbone(backbone, output_stride, BatchNorm)
        self.aspp = build_aspp(backbone, output_stride, BatchNorm)
        self.decoder = build_decoder(num_classes, backbone, BatchNorm)
        if freeze_bn:
            self.freeze_bn()

    def forward(self, input):
        x, low_level_feat = self.backbone(input)
        x = self.decoder(self.aspp(x), low_level_feat)
        return F.interpolate(x, size=input.size()[2:], mode="bilinear", align_corners=True)

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, SynchronizedBatchNorm2d):
                m.eval()
            elif isinstance(m, nn.BatchNorm2d):
                m.eval()


class Trainer(object):
    def __init__(self, args):
        self.args = args
        self.model = DeepLab(num_classes=21, backbone=args.backbone, output_stride=args.out_stride,
                             sync_bn=args.sync_bn, freeze_bn=args.freeze_bn)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=args.lr, momentum=0.9)
        self.criterion = nn.CrossEntropyLoss(ignore_index=255)

    def training(self, epoch):
        self.model.train()
        for i, sample in enumerate(self.args.train_loader):
            image, target = sample["image"], sample["label"]
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(image), target.long())
            loss.backward()
            self.optimizer.step()

    def validation(self, epoch):
        self.model.eval()
        with torch.no_grad():
            for sample in self.args.val_loader:
                self.model(sample["image"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="PyTorch DeeplabV3Plus Training")
    parser.add_argument("--backbone", type=str, default="resnet")
    parser.add_argument("--out-stride", type=int, default=16)
    parser.add_argument("--sync-bn", type=bool, default=None)
    parser.add_argument("--freeze-bn", type=bool, default=False)
    parser.add_argument("--lr", type=float, default=0.007)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    trainer = Trainer(args)
    for epoch in range(args.epochs):
        trainer.training(epoch)
        trainer.validation(epoch)
