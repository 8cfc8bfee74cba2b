"""Fine-tune a RetinaNet-style dense detector on a small in-house dataset.

Detection batches are tiny (two images per step at 800px), far too small to
estimate BatchNorm statistics. Following torchvision / detectron2 practice the
ResNet backbone is built with ``FrozenBatchNorm2d``: the ImageNet statistics
and affine parameters are fixed buffers, nothing is updated during training.
The FPN and the heads use GroupNorm, which does not depend on the batch size.
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.models import ResNet50_Weights, resnet50
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.ops import FeaturePyramidNetwork, sigmoid_focal_loss
from torchvision.ops.misc import FrozenBatchNorm2d
import torchvision.transforms.functional as TF


class JsonDetectionDataset(Dataset):
    def __init__(self, root, ann_file, size=800):
        self.root = root
        self.size = size
        with open(ann_file) as f:
            self.records = json.load(f)

    def __len__(self):
        return len(self.records)

    def __getitem__(self, idx):
        rec = self.records[idx]
        img = Image.open(os.path.join(self.root, rec["file_name"])).convert("RGB")
        img = TF.resize(img, [self.size, self.size])
        boxes = torch.tensor(rec["boxes"], dtype=torch.float32)
        labels = torch.tensor(rec["labels"], dtype=torch.int64)
        return TF.to_tensor(img), {"boxes": boxes, "labels": labels}


def collate(batch):
    images, targets = zip(*batch)
    return torch.stack(images), list(targets)


class DenseHead(nn.Module):
    """Shared conv tower with GroupNorm (conv bias is kept: GN, not BN)."""

    def __init__(self, in_channels=256, num_anchors=9, num_classes=20, num_convs=4):
        super().__init__()
        cls_tower, box_tower = [], []
        for _ in range(num_convs):
            cls_tower += [nn.Conv2d(in_channels, in_channels, 3, padding=1),
                          nn.GroupNorm(32, in_channels), nn.ReLU(inplace=True)]
            box_tower += [nn.Conv2d(in_channels, in_channels, 3, padding=1),
                          nn.GroupNorm(32, in_channels), nn.ReLU(inplace=True)]
        self.cls_tower = nn.Sequential(*cls_tower)
        self.box_tower = nn.Sequential(*box_tower)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        nn.init.constant_(self.cls_logits.bias, -4.59)  # prior 0.01
        self.num_classes = num_classes

    def forward(self, features):
        logits, deltas = [], []
        for f in features:
            n = f.shape[0]
            logits.append(self.cls_logits(self.cls_tower(f)).view(n, -1, self.num_classes))
            deltas.append(self.bbox_pred(self.box_tower(f)).view(n, -1, 4))
        return torch.cat(logits, 1), torch.cat(deltas, 1)


class Detector(nn.Module):
    def __init__(self, num_classes=20, trainable_layers=3):
        super().__init__()
        body = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1, norm_layer=FrozenBatchNorm2d)
        layers_to_train = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers]
        for name, parameter in body.named_parameters():
            if all(not name.startswith(layer) for layer in layers_to_train):
                parameter.requires_grad_(False)
        self.body = IntermediateLayerGetter(
            body, return_layers={"layer2": "p3", "layer3": "p4", "layer4": "p5"})
        self.fpn = FeaturePyramidNetwork([512, 1024, 2048], 256)
        self.head = DenseHead(256, num_classes=num_classes)

    def forward(self, images):
        feats = self.fpn(self.body(images))
        return self.head(list(feats.values()))


def detection_loss(cls_logits, box_deltas, targets, num_classes):
    # Simplified assignment: the anchor matcher lives in a separate module in
    # the full code base; here every image contributes its encoded targets.
    cls_t = torch.zeros_like(cls_logits)
    box_loss = cls_logits.new_zeros(())
    for i, t in enumerate(targets):
        k = min(len(t["labels"]), cls_logits.shape[1])
        cls_t[i, torch.arange(k), t["labels"][:k]] = 1.0
        box_loss = box_loss + F.smooth_l1_loss(box_deltas[i, :k], t["boxes"][:k] / 800.0)
    cls_loss = sigmoid_focal_loss(cls_logits, cls_t, reduction="sum") / max(1, len(targets))
    return cls_loss + box_loss


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    total = 0.0
    for images, targets in loader:
        cls_logits, deltas = model(images.to(device))
        total += detection_loss(cls_logits.cpu(), deltas.cpu(), targets, cls_logits.shape[-1]).item()
    return total / max(1, len(loader))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--ims-per-batch", type=int, default=2)
    args = p.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = Detector(num_classes=20).to(device)
    train_set = JsonDetectionDataset(args.root, os.path.join(args.root, "train.json"))
    val_set = JsonDetectionDataset(args.root, os.path.join(args.root, "val.json"))
    train_loader = DataLoader(train_set, batch_size=args.ims_per_batch, shuffle=True,
                              num_workers=4, collate_fn=collate)
    val_loader = DataLoader(val_set, batch_size=4, collate_fn=collate)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[8, 11], gamma=0.1)

    for epoch in range(args.epochs):
        model.train()
        for images, targets in train_loader:
            cls_logits, deltas = model(images.to(device))
            targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
            loss = detection_loss(cls_logits, deltas, targets, 20)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        val_loss = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val loss {val_loss:.4f}")
    torch.save(model.state_dict(), "retinanet_frozenbn.pth")


if __name__ == "__main__":
    main()
