"""Distributed SimSiam pre-training for
"Asymmetric Predictors Stabilise Siamese Self-Supervision".

    python train.py --arch resnet50 --dataset imagenet --data /datasets/imagenet \
        --multiprocessing-distributed --world-size 1 --rank 0 --dist-url tcp://localhost:10001
"""
import argparse
import builtins
import logging
import math
import os
import random
import time

import torch
import torch.backends.cudnn as cudnn
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.utils.data
import torch.utils.data.distributed

import models
from datasets import build_datasets
from engine import train_one_epoch
from utils import adjust_learning_rate, knn_monitor, save_checkpoint

parser = argparse.ArgumentParser(description='SimSiam pre-training')
parser.add_argument('--data', metavar='DIR', default='./data')
parser.add_argument('--dataset', default='cifar10', choices=['cifar10', 'imagenet'])
parser.add_argument('-a', '--arch', default='resnet18_cifar', choices=models.backbone_names())
parser.add_argument('-j', '--workers', default=16, type=int)
parser.add_argument('--epochs', default=800, type=int)
parser.add_argument('--start-epoch', default=0, type=int)
parser.add_argument('-b', '--batch-size', default=512, type=int,
                    help='total batch size of all GPUs on the current node')
parser.add_argument('--lr', '--learning-rate', default=0.05, type=float, dest='lr',
                    help='base lr, scaled by batch_size / 256')
parser.add_argument('--momentum', default=0.9, type=float)
parser.add_argument('--wd', '--weight-decay', default=5e-4, type=float, dest='weight_decay')
parser.add_argument('-p', '--print-freq', default=50, type=int)
parser.add_argument('--resume', default='', type=str)
parser.add_argument('--world-size', default=-1, type=int)
parser.add_argument('--rank', default=-1, type=int)
parser.add_argument('--dist-url', default='tcp://224.66.41.62:23456', type=str)
parser.add_argument('--dist-backend', default='nccl', type=str)
parser.add_argument('--seed', default=None, type=int)
parser.add_argument('--gpu', default=None, type=int)
parser.add_argument('--multiprocessing-distributed', action='store_true')
parser.add_argument('--dim', default=2048, type=int, help='projector output dimension')
parser.add_argument('--pred-dim', default=512, type=int, help='predictor hidden dimension')
parser.add_argument('--fix-pred-lr', action='store_true')
parser.add_argument('--knn-freq', default=10, type=int, help='kNN monitor every N epochs')
parser.add_argument('--knn-k', default=200, type=int)
parser.add_argument('--knn-t', default=0.1, type=float)
parser.add_argument('--output-dir', default='checkpoints')


def main():
    args = parser.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
        torch.manual_seed(args.seed)
        cudnn.deterministic = True

    if args.dist_url == 'env://' and args.world_size == -1:
        args.world_size = int(os.environ['WORLD_SIZE'])
    args.distributed = args.world_size > 1 or args.multiprocessing_distributed

    ngpus_per_node = torch.cuda.device_count()
    if args.multiprocessing_distributed:
        args.world_size = ngpus_per_node * args.world_size
        mp.spawn(main_worker, nprocs=ngpus_per_node, args=(ngpus_per_node, args))
    else:
        main_worker(args.gpu, ngpus_per_node, args)


def main_worker(gpu, ngpus_per_node, args):
    args.gpu = gpu
    is_master = not args.multiprocessing_distributed or (args.rank * ngpus_per_node + gpu) == 0
    if not is_master:
        def print_pass(*args, **kwargs):
            pass
        builtins.print = print_pass
    logging.basicConfig(level=logging.INFO if is_master else logging.ERROR,
                        format='%(asctime)s %(message)s')
    logger = logging.getLogger('simsiam')

    if args.distributed:
        if args.dist_url == 'env://' and args.rank == -1:
            args.rank = int(os.environ['RANK'])
        if args.multiprocessing_distributed:
            args.rank = args.rank * ngpus_per_node + gpu
        dist.init_process_group(backend=args.dist_backend, init_method=args.dist_url,
                                world_size=args.world_size, rank=args.rank)
        torch.distributed.barrier()

    logger.info("=> creating model '%s'", args.arch)
    model = models.SimSiam(models.build_backbone(args.arch), args.dim, args.pred_dim)

    # infer learning rate before changing batch size
    init_lr = args.lr * args.batch_size / 256

    if args.distributed:
        if args.gpu is not None:
            torch.cuda.set_device(args.gpu)
            model.cuda(args.gpu)
            # per-process batch size
            args.batch_size = int(args.batch_size / ngpus_per_node)
            args.workers = int((args.workers + ngpus_per_node - 1) / ngpus_per_node)
            model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu])
        else:
            model.cuda()
            model = torch.nn.parallel.DistributedDataParallel(model)
        # SimSiam's BN statistics are computed over the whole global batch
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    elif args.gpu is not None:
        torch.cuda.set_device(args.gpu)
        model = model.cuda(args.gpu)
    else:
        raise NotImplementedError('Only DistributedDataParallel or single-GPU is supported.')
    logger.info('%s', model)

    criterion = nn.CosineSimilarity(dim=1).cuda(args.gpu)
    core = model.module if args.distributed else model
    if args.fix_pred_lr:
        optim_params = [{'params': core.encoder.parameters(), 'fix_lr': False},
                        {'params': core.projector.parameters(), 'fix_lr': False},
                        {'params': core.predictor.parameters(), 'fix_lr': True}]
    else:
        optim_params = model.parameters()
    optimizer = torch.optim.SGD(optim_params, init_lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)

    if args.resume:
        if os.path.isfile(args.resume):
            loc = 'cuda:{}'.format(args.gpu) if args.gpu is not None else None
            checkpoint = torch.load(args.resume, map_location=loc)
            args.start_epoch = checkpoint['epoch']
            model.load_state_dict(checkpoint['state_dict'])
            optimizer.load_state_dict(checkpoint['optimizer'])
            logger.info("=> loaded checkpoint '%s' (epoch %d)", args.resume, checkpoint['epoch'])
        else:
            logger.info("=> no checkpoint found at '%s'", args.resume)

    cudnn.benchmark = True

    train_dataset, memory_dataset, test_dataset = build_datasets(args.dataset, args.data)
    if args.distributed:
        train_sampler = torch.utils.data.distributed.DistributedSampler(train_dataset)
    else:
        train_sampler = None
    train_loader = torch.utils.data.DataLoader(
        train_dataset, batch_size=args.batch_size, shuffle=(train_sampler is None),
        num_workers=args.workers, pin_memory=True, sampler=train_sampler, drop_last=True)
    memory_loader = torch.utils.data.DataLoader(memory_dataset, batch_size=512, shuffle=False,
                                                num_workers=args.workers, pin_memory=True)
    test_loader = torch.utils.data.DataLoader(test_dataset, batch_size=512, shuffle=False,
                                              num_workers=args.workers, pin_memory=True)

    os.makedirs(args.output_dir, exist_ok=True)
    best_knn = 0.0
    for epoch in range(args.start_epoch, args.epochs):
        if args.distributed:
            train_sampler.set_epoch(epoch)
        adjust_learning_rate(optimizer, init_lr, epoch, args.epochs)

        t0 = time.time()
        loss = train_one_epoch(train_loader, model, criterion, optimizer, epoch, args, logger)
        logger.info('epoch %d: loss %.4f (%.1fs)', epoch, loss, time.time() - t0)

        is_best = False
        if is_master and args.dataset == 'cifar10' and (epoch + 1) % args.knn_freq == 0:
            encoder = core.encoder
            encoder.eval()
            knn_acc = knn_monitor(encoder, memory_loader, test_loader, k=args.knn_k, t=args.knn_t)
            encoder.train()
            is_best = knn_acc > best_knn
            best_knn = max(best_knn, knn_acc)
            logger.info('epoch %d: kNN acc %.2f (best %.2f)', epoch, knn_acc, best_knn)

        if is_master:
            save_checkpoint({
                'epoch': epoch + 1,
                'arch': args.arch,
                'state_dict': model.state_dict(),
                'optimizer': optimizer.state_dict(),
            }, is_best, args.output_dir, filename='checkpoint_{:04d}.pth.tar'.format(epoch))


if __name__ == '__main__':
    main()
