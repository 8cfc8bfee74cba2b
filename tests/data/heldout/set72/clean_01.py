"""Faster R-CNN training on a COCO-format dataset with a frozen-norm ResNet-50 FPN backbone.

The backbone uses FrozenBatchNorm2d: the ImageNet statistics and affine terms are
plain buffers, so the usual 2 images per GPU are fine for detection training.
"""
import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision.datasets import CocoDetection
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
import torchvision.transforms.v2 as T


class FrozenBatchNorm2d(nn.Module):
    """Per-channel affine transform with fixed statistics (no updates, no grads)."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


def build_model(num_classes: int, backbone_weights: str | None, trainable_layers: int = 3) -> FasterRCNN:
    body = resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    if backbone_weights:
        body.load_state_dict(torch.load(backbone_weights, map_location="cpu"), strict=False)
    trainable = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers]
    for name, param in body.named_parameters():
        if not any(name.startswith(layer) for layer in trainable):
            param.requires_grad_(False)
    backbone = BackboneWithFPN(
        body,
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=[256, 512, 1024, 2048],
        out_channels=256,
    )
    return FasterRCNN(backbone, num_classes=num_classes, min_size=800, max_size=1333)


class CocoForDetection(CocoDetection):
    def __init__(self, root, ann_file, train: bool):
        super().__init__(root, ann_file)
        self.train = train
        self.tf = T.Compose([T.ToImage(), T.ToDtype(torch.float32, scale=True)])

    def __getitem__(self, idx):
        img, anns = super().__getitem__(idx)
        boxes = torch.tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        target = {"boxes": boxes, "labels": torch.tensor([a["category_id"] for a in anns], dtype=torch.int64),
                  "image_id": self.ids[idx]}
        img = self.tf(img)
        if self.train and torch.rand(()) < 0.5:
            img = img.flip(-1)
            width = img.shape[-1]
            boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
        return img, target


def collate(batch):
    return tuple(zip(*batch))


def train_one_epoch(model, optimizer, loader, device, epoch, warmup_iters=1000, print_freq=50):
    model.train()
    start = time.time()
    for it, (images, targets) in enumerate(loader):
        global_it = epoch * len(loader) + it
        if global_it < warmup_iters:
            factor = 0.001 + (1 - 0.001) * global_it / warmup_iters
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * factor
        images = [img.to(device, non_blocking=True) for img in images]
        targets = [{k: (v.to(device) if torch.is_tensor(v) else v) for k, v in t.items()} for t in targets]
        loss_dict = model(images, targets)
        loss = sum(loss_dict.values())
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"non-finite loss at iteration {global_it}: {loss_dict}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if it % print_freq == 0:
            parts = " ".join(f"{k}={v.item():.3f}" for k, v in loss_dict.items())
            print(f"epoch {epoch} [{it}/{len(loader)}] loss={loss.item():.3f} {parts} ({time.time() - start:.0f}s)")


@torch.inference_mode()
def evaluate(model, loader, device, out_file: Path):
    model.eval()
    detections = []
    for images, targets in loader:
        images = [img.to(device) for img in images]
        outputs = model(images)
        for target, out in zip(targets, outputs):
            boxes = out["boxes"].cpu()
            boxes[:, 2:] -= boxes[:, :2]
            for box, score, label in zip(boxes.tolist(), out["scores"].tolist(), out["labels"].tolist()):
                detections.append({"image_id": target["image_id"], "category_id": label,
                                   "bbox": box, "score": score})
    out_file.write_text(json.dumps(detections))
    return len(detections)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--backbone-weights", default=None)
    parser.add_argument("--num-classes", type=int, default=91)
    parser.add_argument("--images-per-gpu", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--output", type=Path, default=Path("runs/frcnn"))
    parser.add_argument("--resume", default="")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.output.mkdir(parents=True, exist_ok=True)
    train_ds = CocoForDetection(args.data / "train2017", args.data / "annotations/instances_train2017.json", True)
    val_ds = CocoForDetection(args.data / "val2017", args.data / "annotations/instances_val2017.json", False)
    train_loader = DataLoader(train_ds, batch_size=args.images_per_gpu, shuffle=True, num_workers=4,
                              collate_fn=collate, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False, num_workers=4, collate_fn=collate)

    model = build_model(args.num_classes, args.backbone_weights).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[8, 11], gamma=0.1)

    start_epoch = 0
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start_epoch = ckpt["epoch"] + 1

    for epoch in range(start_epoch, args.epochs):
        train_one_epoch(model, optimizer, train_loader, device, epoch)
        scheduler.step()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch}, args.output / "checkpoint.pth")
        n = evaluate(model, val_loader, device, args.output / f"detections_{epoch}.json")
        print(f"epoch {epoch}: wrote {n} detections")


if __name__ == "__main__":
    main()
