"""Fine-tuning CenterNet-style detector with batch size 2: mAP collapses

Images are 1024x1024 so only 2 fit on my 11 GB card. I start from an
ImageNet-pretrained backbone. Following the answer, the backbone is built
with torchvision's FrozenBatchNorm2d (fixed affine + statistics, like the
torchvision detection models do), so batch size 2 no longer touches the
normalisation statistics and model.train() cannot unfreeze them.
"""
import glob
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.ops import FrozenBatchNorm2d


class Backbone(nn.Module):
    def __init__(self, norm_layer=nn.BatchNorm2d):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                norm_layer(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                norm_layer(cout),
                nn.ReLU(inplace=True),
            )

        self.stage1 = stage(3, 64)
        self.stage2 = stage(64, 128)
        self.stage3 = stage(128, 256)
        self.out_channels = 256

    def forward(self, x):
        return self.stage3(self.stage2(self.stage1(x)))


def head(cin, cout, mid=64):
    return nn.Sequential(nn.Conv2d(cin, mid, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1))


class CenterNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = Backbone(norm_layer=FrozenBatchNorm2d)
        ch = self.backbone.out_channels
        self.heatmap = head(ch, num_classes)
        self.wh = head(ch, 2)
        self.offset = head(ch, 2)
        self.heatmap[-1].bias.data.fill_(-2.19)

    def forward(self, x):
        feat = self.backbone(x)
        return torch.sigmoid(self.heatmap(feat)), self.wh(feat), self.offset(feat)


class PrecomputedTargets(Dataset):
    """Each .pt file holds image, heatmap, wh, offset and mask tensors."""

    def __init__(self, root):
        self.files = sorted(glob.glob(os.path.join(root, "*.pt")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        d = torch.load(self.files[i])
        return d["image"], d["heatmap"], d["wh"], d["offset"], d["mask"]


def focal_loss(pred, gt, alpha=2, beta=4):
    pos = gt.eq(1).float()
    neg = 1.0 - pos
    pred = pred.clamp(1e-4, 1 - 1e-4)
    pos_loss = (torch.log(pred) * (1 - pred) ** alpha * pos).sum()
    neg_loss = (torch.log(1 - pred) * pred ** alpha * (1 - gt) ** beta * neg).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp(min=1.0)


def main():
    device = torch.device("cuda")
    model = CenterNet(num_classes=5)
    model.backbone.load_state_dict(torch.load("pretrained/backbone_imagenet.pth"), strict=False)
    model.to(device)

    train_set = PrecomputedTargets("data/train_targets")
    loader = DataLoader(train_set, batch_size=2, shuffle=True, num_workers=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1.25e-4)

    for epoch in range(70):
        model.train()
        for step, (img, hm, wh, off, mask) in enumerate(loader):
            img, hm, wh, off, mask = [t.to(device) for t in (img, hm, wh, off, mask)]
            pred_hm, pred_wh, pred_off = model(img)
            m = mask.unsqueeze(1)
            loss = (focal_loss(pred_hm, hm)
                    + 0.1 * F.l1_loss(pred_wh * m, wh * m, reduction="sum") / m.sum().clamp(min=1)
                    + F.l1_loss(pred_off * m, off * m, reduction="sum") / m.sum().clamp(min=1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        torch.save(model.state_dict(), f"checkpoints/centernet_{epoch:03d}.pth")


if __name__ == "__main__":
    main()
