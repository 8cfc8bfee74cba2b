"""Distributed training for detlite detectors.

    torchrun --nproc_per_node=8 train.py --work-dir work_dirs/retina_bnhead
"""
import argparse
import logging
import os
import os.path as osp
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from configs import retinanet_r50_fpn_bnhead_1x_coco as cfg
from detlite.datasets import build_dataset, collate
from detlite.models import build_detector

logger = logging.getLogger('detlite')


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('--work-dir', default=cfg.work_dir, help='the dir to save logs and models')
    parser.add_argument('--resume-from', help='the checkpoint file to resume from')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def single_gpu_test(model, data_loader):
    model.eval()
    results = []
    with torch.no_grad():
        for data in data_loader:
            img = data['img'].cuda(non_blocking=True)
            results.extend(model(img, data['img_metas'], return_loss=False))
    return results


def build_optimizer(model, opt_cfg):
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.SGD(params, lr=opt_cfg['lr'], momentum=opt_cfg['momentum'],
                           weight_decay=opt_cfg['weight_decay'])


def main():
    args = parse_args()
    dist.init_process_group(backend='nccl')
    local_rank = int(os.environ['LOCAL_RANK'])
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(local_rank)
    torch.manual_seed(args.seed + rank)
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)

    model = build_detector(cfg.model)
    model.init_weights()
    model = model.cuda()
    model = DistributedDataParallel(model, device_ids=[local_rank], broadcast_buffers=False,
                                    find_unused_parameters=False)

    dataset = build_dataset(cfg.data['train'])
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    data_loader = DataLoader(dataset, batch_size=cfg.data['samples_per_gpu'], sampler=sampler, num_workers=cfg.data['workers_per_gpu'], collate_fn=collate, pin_memory=False)  # expect: BN304

    val_dataset = build_dataset(cfg.data['val'])
    val_loader = DataLoader(val_dataset, batch_size=1, shuffle=False, num_workers=cfg.data['workers_per_gpu'],
                            collate_fn=collate)

    optimizer = build_optimizer(model, cfg.optimizer)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=cfg.lr_config['step'], gamma=0.1)
    warmup_iters = cfg.lr_config['warmup_iters']
    base_lrs = [g['lr'] for g in optimizer.param_groups]

    it = 0
    for epoch in range(cfg.total_epochs):
        sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        for i, data in enumerate(data_loader):
            if it < warmup_iters:
                k = cfg.lr_config['warmup_ratio'] + (1 - cfg.lr_config['warmup_ratio']) * it / warmup_iters
                for g, lr in zip(optimizer.param_groups, base_lrs):
                    g['lr'] = lr * k
            img = data.pop('img').cuda(non_blocking=True)
            img_metas = data.pop('img_metas')
            data = {k: ([t.cuda() for t in v] if isinstance(v, list) else v) for k, v in data.items()}
            losses = model(img, img_metas, **data)
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), **cfg.optimizer_config['grad_clip'])
            optimizer.step()
            it += 1
            if rank == 0 and i % cfg.log_config['interval'] == 0:
                logger.info('Epoch [%d][%d/%d] %s (%.1fs)', epoch + 1, i, len(data_loader),
                            {k: round(v.item(), 4) for k, v in losses.items()}, time.time() - t0)
        scheduler.step()

        if rank == 0:
            torch.save({'state_dict': model.module.state_dict(), 'epoch': epoch + 1},
                       osp.join(args.work_dir, f'epoch_{epoch + 1}.pth'))
            if (epoch + 1) % cfg.evaluation['interval'] == 0:
                results = single_gpu_test(model.module, val_loader)
                logger.info('epoch %d: %d images evaluated', epoch + 1, len(results))
        dist.barrier()

    dist.destroy_process_group()


if __name__ == '__main__':
    main()
