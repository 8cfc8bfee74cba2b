"""
Distributed evaluation of a trained segmentation checkpoint on full-resolution
images (2 per GPU, they are 2048x1024), with horizontal-flip test-time augmentation.

    torchrun --nproc_per_node=8 eval_dist.py --ckpt work_dirs/best.pth
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from torchvision.datasets import Cityscapes
import torchvision.transforms as T

NUM_CLASSES = 19
EVAL_BATCH = 2


def cbr(cin, cout, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DilatedSegNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.encoder = nn.Sequential(
            cbr(3, 32), nn.MaxPool2d(2),
            cbr(32, 64), nn.MaxPool2d(2),
            cbr(64, 128), cbr(128, 128, dilation=2),
            cbr(128, 256, dilation=4), cbr(256, 256, dilation=8),
        )
        self.cls = nn.Conv2d(256, num_classes, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        return F.interpolate(self.cls(self.encoder(x)), (h, w), mode="bilinear", align_corners=False)


def target_to_tensor(t):
    return torch.as_tensor(T.functional.pil_to_tensor(t), dtype=torch.long).squeeze(0)


@torch.inference_mode()
def evaluate(model, loader, device):
    hist = torch.zeros(NUM_CLASSES, NUM_CLASSES, device=device, dtype=torch.long)
    for img, lbl in loader:
        img, lbl = img.to(device, non_blocking=True), lbl.to(device, non_blocking=True)
        logits = model(img) + model(img.flip(-1)).flip(-1)
        pred = logits.argmax(1)
        valid = lbl < NUM_CLASSES
        hist += torch.bincount(lbl[valid] * NUM_CLASSES + pred[valid], minlength=NUM_CLASSES ** 2).view(NUM_CLASSES, NUM_CLASSES)
    dist.all_reduce(hist)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--root", default="/datasets/cityscapes")
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N images (0 = all)")
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    dataset = Cityscapes(args.root, split="val", mode="fine", target_type="semantic",
                         transform=T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
                         target_transform=target_to_tensor)
    if args.limit:
        dataset = Subset(dataset, range(args.limit))
    quick = Subset(dataset, range(101))

    sampler = DistributedSampler(dataset, shuffle=False)
    loader = DataLoader(dataset, batch_size=EVAL_BATCH, sampler=sampler, num_workers=4, pin_memory=True)
    quick_loader = DataLoader(quick, batch_size=EVAL_BATCH, sampler=DistributedSampler(quick, shuffle=False), num_workers=4)

    model = DilatedSegNet().to(device)
    state = torch.load(args.ckpt, map_location=device)
    model.load_state_dict(state.get("model", state))
    model.eval()

    quick_iou = evaluate(model, quick_loader, device)
    iou = evaluate(model, loader, device)
    if dist.get_rank() == 0:
        print(f"quick mIoU (101 imgs): {quick_iou.mean().item() * 100:.2f}")
        print(f"mIoU: {iou.mean().item() * 100:.2f}")
        for c, v in enumerate(iou.tolist()):
            print(f"  class {c:2d}: {v * 100:.2f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
