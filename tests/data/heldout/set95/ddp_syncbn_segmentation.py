"""DeepLabV3 fine-tuning on Cityscapes with DistributedDataParallel + SyncBatchNorm.

Launch:  torchrun --nproc_per_node=8 ddp_syncbn_segmentation.py --data /datasets/cityscapes

BN layers are converted to SyncBatchNorm *before* the model is wrapped in
DDP, so batch statistics are computed over all GPUs (8 x 16 crops).
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision.datasets import Cityscapes
from torchvision.models.segmentation import deeplabv3_resnet50
import torchvision.transforms.v2 as T


def setup():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank, dist.get_rank(), dist.get_world_size()


def build_datasets(root, crop=768):
    train_tf = T.Compose([
        T.RandomResizedCrop(crop, scale=(0.5, 2.0), antialias=True), T.RandomHorizontalFlip(),
        T.ToImage(), T.ToDtype(torch.float32, scale=True),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    val_tf = T.Compose([T.ToImage(), T.ToDtype(torch.float32, scale=True),
                        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train = Cityscapes(root, split="train", mode="fine", target_type="semantic", transforms=train_tf)
    val = Cityscapes(root, split="val", mode="fine", target_type="semantic", transforms=val_tf)
    return train, val


@torch.no_grad()
def evaluate(model, loader, num_classes, device):
    model.eval()
    hist = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    for image, target in loader:
        image, target = image.to(device), target.to(device).squeeze(1).long()
        pred = model(image)["out"].argmax(1)
        valid = target < num_classes
        hist += torch.bincount(num_classes * target[valid] + pred[valid],
                               minlength=num_classes ** 2).view(num_classes, num_classes)
    dist.all_reduce(hist)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size-per-gpu", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    local_rank, rank, world = setup()
    device = torch.device("cuda", local_rank)

    train_set, val_set = build_datasets(args.data)
    train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size_per_gpu, sampler=train_sampler,
                              num_workers=6, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=2, sampler=val_sampler, num_workers=4)

    model = deeplabv3_resnet50(weights_backbone="IMAGENET1K_V1", num_classes=19, aux_loss=True)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    params = [
        {"params": model.module.backbone.parameters(), "lr": args.lr},
        {"params": model.module.classifier.parameters(), "lr": args.lr * 10},
        {"params": model.module.aux_classifier.parameters(), "lr": args.lr * 10},
    ]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    total_iters = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=total_iters, power=0.9)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for image, target in train_loader:
            image, target = image.to(device), target.to(device).squeeze(1).long()
            out = model(image)
            loss = F.cross_entropy(out["out"], target, ignore_index=255)
            loss = loss + 0.4 * F.cross_entropy(out["aux"], target, ignore_index=255)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        if epoch % 10 == 9 or epoch == args.epochs - 1:
            miou = evaluate(model, val_loader, 19, device)
            if rank == 0:
                print(f"epoch {epoch + 1}: mIoU {100 * miou:.2f}")
                torch.save(model.module.state_dict(), "deeplabv3_r50_cityscapes.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
