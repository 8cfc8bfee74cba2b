"""Distributed training entry point.

    torchrun --nproc_per_node=4 train.py
"""
import argparse
import logging
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from posekit.config import cfg
from posekit.core import JointsMSELoss, train, validate
from posekit.dataset import COCOKeypoints
from posekit.models import get_pose_net

logger = logging.getLogger("posekit")


def parse_args():
    parser = argparse.ArgumentParser(description="Train keypoints network")
    parser.add_argument("--output-dir", default=cfg["OUTPUT_DIR"])
    parser.add_argument("--resume", default="")
    return parser.parse_args()


def setup_distributed():
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    dist.init_process_group(backend="nccl")
    torch.cuda.set_device(local_rank)
    return local_rank, dist.get_rank(), dist.get_world_size()


def main():
    args = parse_args()
    local_rank, rank, world_size = setup_distributed()
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARN)
    torch.backends.cudnn.benchmark = cfg["CUDNN"]["BENCHMARK"]

    model = get_pose_net(cfg, is_train=True)
    model = model.cuda(local_rank)
    model = nn.parallel.DistributedDataParallel(model, device_ids=[local_rank], output_device=local_rank)
    if cfg["MODEL"]["SYNC_BN"]:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    criterion = JointsMSELoss(use_target_weight=cfg["LOSS"]["USE_TARGET_WEIGHT"]).cuda(local_rank)

    normalize = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_dataset = COCOKeypoints(cfg, cfg["DATASET"]["ROOT"], cfg["DATASET"]["TRAIN_SET"], True, normalize)
    valid_dataset = COCOKeypoints(cfg, cfg["DATASET"]["ROOT"], cfg["DATASET"]["TEST_SET"], False, normalize)

    train_sampler = DistributedSampler(train_dataset, shuffle=cfg["TRAIN"]["SHUFFLE"])
    train_loader = DataLoader(
        train_dataset,
        batch_size=cfg["TRAIN"]["BATCH_SIZE_PER_GPU"],
        sampler=train_sampler,
        num_workers=cfg["WORKERS"],
        pin_memory=True,
    )
    valid_loader = DataLoader(
        valid_dataset,
        batch_size=cfg["TEST"]["BATCH_SIZE_PER_GPU"],
        shuffle=False,
        num_workers=cfg["WORKERS"],
        pin_memory=True,
    )

    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["TRAIN"]["LR"], weight_decay=cfg["TRAIN"]["WD"])
    lr_scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, list(cfg["TRAIN"]["LR_STEP"]), cfg["TRAIN"]["LR_FACTOR"]
    )

    begin_epoch = cfg["TRAIN"]["BEGIN_EPOCH"]
    if args.resume and os.path.isfile(args.resume):
        checkpoint = torch.load(args.resume, map_location="cpu")
        begin_epoch = checkpoint["epoch"]
        model.module.load_state_dict(checkpoint["state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer"])

    best_perf = 0.0
    for epoch in range(begin_epoch, cfg["TRAIN"]["END_EPOCH"]):
        train_sampler.set_epoch(epoch)
        train(cfg, train_loader, model, criterion, optimizer, epoch)
        lr_scheduler.step()

        perf_indicator = validate(cfg, valid_loader, valid_dataset, model, criterion)

        if rank == 0:
            is_best = perf_indicator >= best_perf
            best_perf = max(best_perf, perf_indicator)
            state = {
                "epoch": epoch + 1,
                "state_dict": model.module.state_dict(),
                "perf": perf_indicator,
                "optimizer": optimizer.state_dict(),
            }
            torch.save(state, os.path.join(args.output_dir, "checkpoint.pth"))
            if is_best:
                torch.save(model.module.state_dict(), os.path.join(args.output_dir, "model_best.pth"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
