"""Distributed training of a ResNet-encoder U-Net for binary/multi-class segmentation.

    torchrun --nproc_per_node=4 clean_02.py --images data/img --masks data/mask --classes 6

The encoder's stem and first stage are frozen (weights and BN statistics);
all other BatchNorm layers become SyncBatchNorm. Validation uses sliding-window
inference on full-resolution tiles; rank 0 writes overlays for a few tiles.
"""
import argparse
import glob
import logging
import os
import random
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

log = logging.getLogger("unet")


class TileDataset(Dataset):
    def __init__(self, image_dir, mask_dir, crop=512, train=True):
        self.images = sorted(glob.glob(os.path.join(image_dir, "*.png")))
        self.mask_dir = mask_dir
        self.crop = crop
        self.train = train

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        path = self.images[i]
        img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
        mask = np.asarray(Image.open(os.path.join(self.mask_dir, os.path.basename(path))), dtype=np.int64)
        if self.train:
            h, w = mask.shape
            y = random.randint(0, max(0, h - self.crop))
            x = random.randint(0, max(0, w - self.crop))
            img = img[y:y + self.crop, x:x + self.crop]
            mask = mask[y:y + self.crop, x:x + self.crop]
            if random.random() < 0.5:
                img, mask = img[:, ::-1], mask[:, ::-1]
            if random.random() < 0.5:
                img, mask = img[::-1], mask[::-1]
            k = random.randint(0, 3)
            img, mask = np.rot90(img, k), np.rot90(mask, k)
            img = np.clip(img * random.uniform(0.85, 1.15), 0.0, 1.0)
        img = (img - 0.5) / 0.25
        return torch.from_numpy(img.copy()).permute(2, 0, 1), torch.from_numpy(mask.copy())


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.proj is None else self.proj(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + idt)


class Encoder(nn.Module):
    widths = (64, 128, 256, 512)

    def __init__(self, frozen_stages=1, norm_eval_frozen=True):
        super().__init__()
        self.frozen_stages = frozen_stages
        self.norm_eval_frozen = norm_eval_frozen
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.pool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        stages = []
        for i, w in enumerate(self.widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w)))
            cin = w
        self.stages = nn.ModuleList(stages)
        self._freeze()

    def _freeze(self):
        frozen = [self.stem] + list(self.stages[: self.frozen_stages])
        for module in frozen:
            module.eval()
            for p in module.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze()
        if mode and self.norm_eval_frozen:
            for module in [self.stem] + list(self.stages[: self.frozen_stages]):
                for m in module.modules():
                    if isinstance(m, _BatchNorm):
                        m.eval()
        return self

    def forward(self, x):
        feats = []
        x = self.stem(x)
        feats.append(x)
        x = self.pool(x)
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats  # strides 2, 4, 8, 16, 32


class DecoderBlock(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.fuse = nn.Sequential(
            nn.Conv2d(in_ch + skip_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(torch.cat([x, skip], dim=1))


class UNet(nn.Module):
    def __init__(self, num_classes, dec_widths=(256, 128, 64, 32)):
        super().__init__()
        self.encoder = Encoder()
        enc = (64,) + Encoder.widths  # stem, stage1..4
        self.center = nn.Sequential(
            nn.Conv2d(enc[-1], enc[-1], 3, padding=1, bias=False),
            nn.BatchNorm2d(enc[-1]),
            nn.ReLU(inplace=True),
        )
        self.dec4 = DecoderBlock(enc[4], enc[3], dec_widths[0])
        self.dec3 = DecoderBlock(dec_widths[0], enc[2], dec_widths[1])
        self.dec2 = DecoderBlock(dec_widths[1], enc[1], dec_widths[2])
        self.dec1 = DecoderBlock(dec_widths[2], enc[0], dec_widths[3])
        self.classifier = nn.Conv2d(dec_widths[3], num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        f0, f1, f2, f3, f4 = self.encoder(x)
        y = self.center(f4)
        y = self.dec4(y, f3)
        y = self.dec3(y, f2)
        y = self.dec2(y, f1)
        y = self.dec1(y, f0)
        return F.interpolate(self.classifier(y), size=size, mode="bilinear", align_corners=False)


def dice_loss(logits, target, num_classes, eps=1.0):
    probs = logits.softmax(1)
    onehot = F.one_hot(target, num_classes).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum((0, 2, 3))
    denom = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return 1.0 - ((2 * inter + eps) / (denom + eps)).mean()


def slide_inference(model, image, num_classes, window=512, stride=384):
    _, _, h, w = image.shape
    logits = image.new_zeros((1, num_classes, h, w))
    count = image.new_zeros((1, 1, h, w))
    ys = list(range(0, max(h - window, 0) + 1, stride))
    xs = list(range(0, max(w - window, 0) + 1, stride))
    if ys[-1] + window < h:
        ys.append(h - window)
    if xs[-1] + window < w:
        xs.append(w - window)
    for y in ys:
        for x in xs:
            tile = image[:, :, y:y + window, x:x + window]
            logits[:, :, y:y + window, x:x + window] += model(tile)
            count[:, :, y:y + window, x:x + window] += 1
    return logits / count


def evaluate(model, loader, num_classes, device):
    model.eval()
    inter = torch.zeros(num_classes, device=device)
    union = torch.zeros(num_classes, device=device)
    with torch.inference_mode():
        for image, mask in loader:
            image, mask = image.to(device), mask.to(device)
            pred = slide_inference(model, image, num_classes).argmax(1)
            for c in range(num_classes):
                p, t = pred == c, mask == c
                inter[c] += (p & t).sum()
                union[c] += (p | t).sum()
    dist.all_reduce(inter)
    dist.all_reduce(union)
    return (inter / union.clamp(min=1)).tolist()


def save_overlays(model, dataset, out_dir, num_classes, device, n=4):
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    colours = np.random.RandomState(0).randint(0, 255, (num_classes, 3)).astype(np.uint8)
    with torch.no_grad():
        for i in range(min(n, len(dataset))):
            image, _ = dataset[i]
            pred = slide_inference(model, image[None].to(device), num_classes).argmax(1)[0].cpu().numpy()
            rgb = ((image.permute(1, 2, 0).numpy() * 0.25 + 0.5).clip(0, 1) * 255).astype(np.uint8)
            Image.fromarray((0.6 * rgb + 0.4 * colours[pred]).astype(np.uint8)).save(os.path.join(out_dir, f"{i:03d}.png"))


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--masks", required=True)
    ap.add_argument("--val-images", default=None)
    ap.add_argument("--val-masks", default=None)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=120)
    ap.add_argument("--batch-size", type=int, default=8, help="per process")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--crop", type=int, default=512)
    ap.add_argument("--out", default="runs/unet")
    return ap.parse_args()


def main():
    args = parse()
    dist.init_process_group(backend="nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.ERROR, format="%(asctime)s %(message)s")
    random.seed(rank)
    torch.manual_seed(0)
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)

    train_set = TileDataset(args.images, args.masks, args.crop, train=True)
    val_set = TileDataset(args.val_images or args.images, args.val_masks or args.masks, train=False)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler, num_workers=6, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, sampler=val_sampler, num_workers=2)

    model = UNet(args.classes)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], find_unused_parameters=False)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=5e-4)
    max_iter = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / max_iter) ** 0.9)

    best = 0.0
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        loss_acc = torch.zeros((), device=device)
        for image, mask in train_loader:
            image, mask = image.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            logits = model(image)
            loss = F.cross_entropy(logits, mask) + 0.5 * dice_loss(logits, mask, args.classes)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_acc += loss.detach()
        dist.all_reduce(loss_acc)
        ious = evaluate(model, val_loader, args.classes, device)
        miou = float(np.mean(ious))
        if rank == 0:
            log.info("epoch %d loss %.4f mIoU %.4f per-class %s (%.0fs)", epoch,
                     loss_acc.item() / (world * len(train_loader)), miou,
                     ["%.3f" % v for v in ious], time.time() - t0)
            if miou > best:
                best = miou
                torch.save(model.module.state_dict(), os.path.join(args.out, "best.pth"))

    if rank == 0:
        save_overlays(model.module, val_set, os.path.join(args.out, "overlays"), args.classes, device)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
