r"""Faster R-CNN (ResNet-50 FPN) training on COCO, adapted from
torchvision/references/detection/train.py.

    torchrun --nproc_per_node=8 train_frcnn.py --data-path /data/coco --epochs 26

The backbone uses FrozenBatchNorm2d (affine transform with fixed ImageNet
statistics), which is why 2 images per GPU are fine here.
"""
import argparse
import datetime
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.utils.data
import torchvision
from torchvision.datasets import CocoDetection, wrap_dataset_for_transforms_v2
from torchvision.models import ResNet50_Weights
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.misc import FrozenBatchNorm2d
from torchvision.transforms import v2 as T


def get_args_parser(add_help=True):
    parser = argparse.ArgumentParser(description="PyTorch Detection Training", add_help=add_help)
    parser.add_argument("--data-path", default="/datasets01/COCO/022719/", type=str)
    parser.add_argument("--device", default="cuda", type=str)
    parser.add_argument("-b", "--batch-size", default=2, type=int, help="images per gpu, the total batch size is $NGPU x batch_size")
    parser.add_argument("--epochs", default=26, type=int)
    parser.add_argument("-j", "--workers", default=4, type=int)
    parser.add_argument("--lr", default=0.02, type=float)
    parser.add_argument("--momentum", default=0.9, type=float)
    parser.add_argument("--wd", "--weight-decay", default=1e-4, type=float, dest="weight_decay")
    parser.add_argument("--lr-steps", default=[16, 22], nargs="+", type=int)
    parser.add_argument("--lr-gamma", default=0.1, type=float)
    parser.add_argument("--trainable-backbone-layers", default=3, type=int)
    parser.add_argument("--print-freq", default=20, type=int)
    parser.add_argument("--output-dir", default="./frcnn_out", type=str)
    parser.add_argument("--resume", default="", type=str)
    parser.add_argument("--test-only", action="store_true")
    return parser


def collate_fn(batch):
    return tuple(zip(*batch))


def get_transform(train):
    if train:
        return T.Compose([T.RandomPhotometricDistort(), T.RandomHorizontalFlip(0.5), T.ToImage(),
                          T.ToDtype(torch.float, scale=True), T.SanitizeBoundingBoxes(), T.ToPureTensor()])
    return T.Compose([T.ToImage(), T.ToDtype(torch.float, scale=True), T.ToPureTensor()])


def get_coco(root, image_set, transforms):
    img_folder = os.path.join(root, f"{image_set}2017")
    ann_file = os.path.join(root, "annotations", f"instances_{image_set}2017.json")
    dataset = CocoDetection(img_folder, ann_file, transforms=transforms)
    return wrap_dataset_for_transforms_v2(dataset, target_keys={"boxes", "labels", "image_id"})


def build_model(num_classes, trainable_layers):
    backbone = resnet_fpn_backbone(
        backbone_name="resnet50",
        weights=ResNet50_Weights.IMAGENET1K_V1,
        norm_layer=FrozenBatchNorm2d,
        trainable_layers=trainable_layers,
    )
    # the stem is never trained (FrozenBatchNorm2d has no trainable params either)
    backbone.body.conv1.requires_grad_(False)
    return FasterRCNN(backbone, num_classes=num_classes)


def reduce_dict(input_dict):
    world_size = dist.get_world_size() if dist.is_initialized() else 1
    if world_size < 2:
        return input_dict
    with torch.inference_mode():
        names = sorted(input_dict.keys())
        values = torch.stack([input_dict[k] for k in names], dim=0)
        dist.all_reduce(values)
        values /= world_size
        return {k: v for k, v in zip(names, values)}


def train_one_epoch(model, optimizer, data_loader, device, epoch, print_freq):
    model.train()
    lr_scheduler = None
    if epoch == 0:
        warmup_iters = min(1000, len(data_loader) - 1)
        lr_scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.001, total_iters=warmup_iters)

    t0 = time.time()
    for i, (images, targets) in enumerate(data_loader):
        images = list(image.to(device) for image in images)
        targets = [{k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in t.items()} for t in targets]
        loss_dict = model(images, targets)
        losses = sum(loss for loss in loss_dict.values())

        loss_dict_reduced = reduce_dict(loss_dict)
        loss_value = sum(loss for loss in loss_dict_reduced.values()).item()
        if not math.isfinite(loss_value):
            print(f"Loss is {loss_value}, stopping training")
            sys.exit(1)

        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        if lr_scheduler is not None:
            lr_scheduler.step()

        if i % print_freq == 0:
            print(f"Epoch [{epoch}] [{i}/{len(data_loader)}] loss {loss_value:.4f} ({time.time() - t0:.0f}s)")


@torch.inference_mode()
def evaluate(model, data_loader, device):
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model.eval()
    results = {}
    for images, targets in data_loader:
        images = list(img.to(device) for img in images)
        outputs = model(images)
        outputs = [{k: v.to("cpu") for k, v in t.items()} for t in outputs]
        results.update({target["image_id"]: output for target, output in zip(targets, outputs)})
    torch.set_num_threads(n_threads)
    print(f"collected detections for {len(results)} images")
    return results


def main(args):
    os.makedirs(args.output_dir, exist_ok=True)
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device(args.device, local_rank)

    dataset = get_coco(args.data_path, "train", get_transform(train=True))
    dataset_test = get_coco(args.data_path, "val", get_transform(train=False))

    train_sampler = torch.utils.data.distributed.DistributedSampler(dataset)
    test_sampler = torch.utils.data.distributed.DistributedSampler(dataset_test, shuffle=False)
    train_batch_sampler = torch.utils.data.BatchSampler(train_sampler, args.batch_size, drop_last=True)

    data_loader = torch.utils.data.DataLoader(dataset, batch_sampler=train_batch_sampler, num_workers=args.workers, collate_fn=collate_fn)
    data_loader_test = torch.utils.data.DataLoader(dataset_test, batch_size=1, sampler=test_sampler, num_workers=args.workers, collate_fn=collate_fn)

    model = build_model(num_classes=91, trainable_layers=args.trainable_backbone_layers)
    model.to(device)
    model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank])
    model_without_ddp = model.module

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    lr_scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=args.lr_steps, gamma=args.lr_gamma)

    start_epoch = 0
    if args.resume:
        checkpoint = torch.load(args.resume, map_location="cpu", weights_only=True)
        model_without_ddp.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        lr_scheduler.load_state_dict(checkpoint["lr_scheduler"])
        start_epoch = checkpoint["epoch"] + 1

    if args.test_only:
        evaluate(model, data_loader_test, device=device)
        return

    start_time = time.time()
    for epoch in range(start_epoch, args.epochs):
        train_sampler.set_epoch(epoch)
        train_one_epoch(model, optimizer, data_loader, device, epoch, args.print_freq)
        lr_scheduler.step()
        if dist.get_rank() == 0:
            torch.save({
                "model": model_without_ddp.state_dict(),
                "optimizer": optimizer.state_dict(),
                "lr_scheduler": lr_scheduler.state_dict(),
                "epoch": epoch,
            }, os.path.join(args.output_dir, "checkpoint.pth"))
        evaluate(model, data_loader_test, device=device)

    print(f"Training time {datetime.timedelta(seconds=int(time.time() - start_time))}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
