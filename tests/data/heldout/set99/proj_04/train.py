"""Training entry point for "Context Matters: Revisiting Dilated Heads for
Semantic Segmentation".

    torchrun --nproc_per_node=4 train.py --config deeplabv3plus_r101_cityscapes \
        --data-root data/cityscapes --work-dir work_dirs/dlv3p_r101
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from datasets import build_dataset
from engine import evaluate, train_one_epoch
from models import available, build_segmentor
from utils import get_logger, save_checkpoint

# per-GPU settings of the experiments in the paper (4 GPUs)
CONFIGS = {
    'fcn_r50_cityscapes': dict(model='fcn', backbone='resnet50', dataset='cityscapes',
                               crop_size=(512, 1024), samples_per_gpu=8, max_iter=80000,
                               lr=0.01, frozen_stages=-1, norm_eval=False),
    'pspnet_r50_cityscapes': dict(model='pspnet', backbone='resnet50', dataset='cityscapes',
                                  crop_size=(512, 1024), samples_per_gpu=8, max_iter=80000,
                                  lr=0.01, frozen_stages=-1, norm_eval=False),
    'deeplabv3plus_r101_cityscapes': dict(model='deeplabv3plus', backbone='resnet101',
                                          dataset='cityscapes', crop_size=(512, 1024),
                                          samples_per_gpu=8, max_iter=80000, lr=0.01,
                                          frozen_stages=1, norm_eval=False),
    'deeplabv3_r50_voc_frozenbn': dict(model='deeplabv3', backbone='resnet50', dataset='voc',
                                       crop_size=(512, 512), samples_per_gpu=16, max_iter=40000,
                                       lr=0.01, frozen_stages=1, norm_eval=True),
}


def parse_args():
    parser = argparse.ArgumentParser(description='Semantic segmentation training')
    parser.add_argument('--config', default='deeplabv3plus_r101_cityscapes', choices=sorted(CONFIGS))
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', default='work_dirs/default')
    parser.add_argument('--pretrained', default=None, help='ImageNet backbone weights')
    parser.add_argument('--output-stride', type=int, default=8, choices=[8, 16])
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--momentum', type=float, default=0.9)
    parser.add_argument('--weight-decay', type=float, default=5e-4)
    parser.add_argument('--head-lr-mult', type=float, default=10.0)
    parser.add_argument('--aux-weight', type=float, default=0.4)
    parser.add_argument('--eval-interval', type=int, default=8000, help='iterations')
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--resume', default='')
    parser.add_argument('--seed', type=int, default=304)
    parser.add_argument('--no-sync-bn', action='store_true')
    return parser.parse_args()


def init_dist():
    if 'LOCAL_RANK' not in os.environ:
        return False, 0, 1, 0
    local_rank = int(os.environ['LOCAL_RANK'])
    torch.cuda.set_device(local_rank)
    dist.init_process_group('nccl')
    return True, dist.get_rank(), dist.get_world_size(), local_rank


def param_groups(model, weight_decay, head_lr_mult):
    backbone, head = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (backbone if name.startswith('backbone.') else head).append(p)
    return [{'params': backbone, 'lr_mult': 1.0, 'weight_decay': weight_decay},
            {'params': head, 'lr_mult': head_lr_mult, 'weight_decay': weight_decay}]


def main():
    args = parse_args()
    cfg = dict(CONFIGS[args.config])
    distributed, rank, world_size, local_rank = init_dist()
    logger = get_logger(args.work_dir, rank)
    logger.info('config %s: %s', args.config, json.dumps(cfg))
    torch.manual_seed(args.seed + rank)
    device = torch.device('cuda', local_rank)

    train_set = build_dataset(cfg['dataset'], args.data_root, 'train', cfg['crop_size'], train=True)
    val_set = build_dataset(cfg['dataset'], args.data_root, 'val', cfg['crop_size'], train=False)
    num_classes = train_set.num_classes

    train_sampler = DistributedSampler(train_set, shuffle=True) if distributed else None
    val_sampler = DistributedSampler(val_set, shuffle=False) if distributed else None
    train_loader = DataLoader(train_set, batch_size=cfg['samples_per_gpu'],
                              shuffle=train_sampler is None, sampler=train_sampler,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, sampler=val_sampler,
                            num_workers=args.workers, pin_memory=True)

    model = build_segmentor(cfg['model'], num_classes, backbone=cfg['backbone'],
                            output_stride=args.output_stride, pretrained=args.pretrained,
                            frozen_stages=cfg['frozen_stages'], norm_eval=cfg['norm_eval'])
    if distributed and not args.no_sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    if distributed:
        model = DDP(model, device_ids=[local_rank], find_unused_parameters=False)
    model_without_ddp = model.module if distributed else model

    optimizer = torch.optim.SGD(param_groups(model_without_ddp, args.weight_decay,
                                             args.head_lr_mult),
                                lr=cfg['lr'], momentum=args.momentum)
    scaler = torch.cuda.amp.GradScaler() if args.amp else None

    cur_iter, epoch, best_miou = 0, 0, 0.0
    if args.resume:
        ckpt = torch.load(args.resume, map_location='cpu')
        model_without_ddp.load_state_dict(ckpt['model'])
        optimizer.load_state_dict(ckpt['optimizer'])
        cur_iter, epoch, best_miou = ckpt['iter'], ckpt['epoch'], ckpt.get('best_miou', 0.0)
        logger.info('resumed from %s (iter %d)', args.resume, cur_iter)

    max_iter = cfg['max_iter']
    next_eval = (cur_iter // args.eval_interval + 1) * args.eval_interval
    t0 = time.time()
    while cur_iter < max_iter:
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        cur_iter, loss = train_one_epoch(model, train_loader, optimizer, scaler, epoch, cur_iter,
                                         max_iter, cfg['lr'], device, logger,
                                         log_interval=args.log_interval,
                                         aux_weight=args.aux_weight)
        epoch += 1
        if cur_iter >= next_eval or cur_iter >= max_iter:
            next_eval += args.eval_interval
            acc, ious, miou = evaluate(model, val_loader, num_classes, device)
            logger.info('iter %d: pixel acc %.2f mIoU %.2f (%.0f min)', cur_iter, acc, miou,
                        (time.time() - t0) / 60)
            if rank == 0:
                state = {'model': model_without_ddp.state_dict(),
                         'optimizer': optimizer.state_dict(), 'iter': cur_iter, 'epoch': epoch,
                         'best_miou': max(best_miou, miou), 'config': cfg}
                save_checkpoint(state, args.work_dir, 'latest.pth')
                if miou > best_miou:
                    best_miou = miou
                    save_checkpoint(state, args.work_dir, 'best_miou.pth')
    logger.info('finished: best mIoU %.2f', best_miou)
    if distributed:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
