"""Epoch-based distributed training for mmdet_mini detectors.

    torchrun --nproc_per_node=8 train.py
"""
import argparse
import logging
import os
import os.path as osp

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from configs import fcos_r50_caffe_fpn_gn_head_1x_coco as cfg
from coco_targets import CocoFCOSDataset, collate
from mmdet_mini import build_detector

logger = logging.getLogger('mmdet_mini')


def single_gpu_test(model, data_loader):
    model.eval()
    results = []
    with torch.no_grad():
        for img, _ in data_loader:
            results.extend(model(img.cuda(), return_loss=False))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work-dir', default='work_dirs/fcos_r50_caffe_fpn_gn_head_1x_coco')
    args = parser.parse_args()

    dist.init_process_group('nccl')
    local_rank = int(os.environ['LOCAL_RANK'])
    torch.cuda.set_device(local_rank)
    rank = dist.get_rank()
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)

    model = build_detector(cfg.model)
    model.init_weights()
    model = DistributedDataParallel(model.cuda(), device_ids=[local_rank], find_unused_parameters=False)

    train_set = CocoFCOSDataset(**cfg.data['train'], train=True)
    sampler = DistributedSampler(train_set, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=cfg.data['samples_per_gpu'], sampler=sampler,
                              num_workers=cfg.data['workers_per_gpu'], collate_fn=collate, pin_memory=True)
    val_loader = DataLoader(CocoFCOSDataset(**cfg.data['val'], train=False), batch_size=1,
                            num_workers=cfg.data['workers_per_gpu'], collate_fn=collate)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=cfg.optimizer['lr'], momentum=cfg.optimizer['momentum'],
                                weight_decay=cfg.optimizer['weight_decay'])
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, cfg.lr_config['step'], gamma=0.1)
    warmup_iters = cfg.lr_config['warmup_iters']

    it = 0
    for epoch in range(cfg.runner['max_epochs']):
        sampler.set_epoch(epoch)
        model.train()  # the backbone's train() keeps its BN layers in eval (norm_eval=True)
        for i, (img, targets) in enumerate(train_loader):
            factor = cfg.lr_config['warmup_ratio'] if it < warmup_iters else 1.0
            for g in optimizer.param_groups:
                g['lr'] = g.get('initial_lr', cfg.optimizer['lr']) * factor
            losses = model(img.cuda(non_blocking=True), [{k: v for k, v in t.items()} for t in targets])
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            it += 1
            if rank == 0 and i % 50 == 0:
                logger.info('epoch %d iter %d: %s', epoch + 1, i, {k: round(v.item(), 4) for k, v in losses.items()})
        scheduler.step()
        if rank == 0:
            torch.save(model.module.state_dict(), osp.join(args.work_dir, f'epoch_{epoch + 1}.pth'))
            dets = single_gpu_test(model.module, val_loader)
            logger.info('epoch %d: %d images evaluated', epoch + 1, len(dets))
        dist.barrier()

    dist.destroy_process_group()


if __name__ == '__main__':
    main()
