"""Small-batch detection-style fine-tuning with frozen BatchNorm (mmdet `norm_eval`).

The backbone overrides `train()` so its BatchNorm layers stay in eval mode even
when the training loop calls `model.train()` every epoch.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from det_data import CenterNetDataset  # project-local: (image, heatmap, size_target)


class BasicStage(nn.Sequential):
    def __init__(self, in_ch, out_ch):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class Backbone(nn.Module):
    def __init__(self, norm_eval=True):
        super().__init__()
        self.norm_eval = norm_eval
        self.stages = nn.Sequential(
            BasicStage(3, 64), BasicStage(64, 128), BasicStage(128, 256), BasicStage(256, 512))

    def forward(self, x):
        return self.stages(x)

    def train(self, mode=True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self


class CenterHead(nn.Module):
    def __init__(self, in_ch, num_classes):
        super().__init__()
        self.up = nn.Sequential(
            nn.ConvTranspose2d(in_ch, 128, 4, stride=4, bias=False),
            nn.GroupNorm(32, 128),
            nn.ReLU(inplace=True),
        )
        self.heatmap = nn.Conv2d(128, num_classes, 1)
        self.size = nn.Conv2d(128, 2, 1)

    def forward(self, feats):
        h = self.up(feats)
        return self.heatmap(h), self.size(h)


class Detector(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = Backbone(norm_eval=True)
        self.head = CenterHead(512, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--pretrained", default="backbone.pth")
    args = parser.parse_args()

    loader = DataLoader(CenterNetDataset("data/coco_subset", split="train"),
                        batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)

    model = Detector(num_classes=20)
    model.backbone.load_state_dict(torch.load(args.pretrained))
    model.train()
    for m in model.backbone.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(False)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[16, 22], gamma=0.1)

    for epoch in range(args.epochs):
        model.train()
        for images, heatmaps, sizes in loader:
            pred_hm, pred_size = model(images)
            mask = heatmaps.max(dim=1, keepdim=True).values.eq(1).float()
            loss = F.binary_cross_entropy_with_logits(pred_hm, heatmaps) + \
                0.1 * (F.l1_loss(pred_size, sizes, reduction="none") * mask).sum() / mask.sum().clamp(min=1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        torch.save(model.state_dict(), f"detector_epoch{epoch}.pth")


if __name__ == "__main__":
    main()
