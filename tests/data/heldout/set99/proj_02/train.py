"""ImageNet training for "Bag of Regularisers: A Strong Baseline Revisited".

Launch with torchrun:
    torchrun --nproc_per_node=8 train.py --model resnet50d --batch-size 128 \
        --epochs 300 --lr 0.5 --sync-bn --model-ema --amp --output-dir out/r50d
"""
import argparse
import datetime
import json
import logging
import os
import time

import torch
import torch.nn as nn
import torch.utils.data
from torch.utils.data.distributed import DistributedSampler

import models
import utils
from datasets import build_dataset
from engine import evaluate, train_one_epoch

logger = logging.getLogger('imagenet')


def get_args_parser(add_help=True):
    parser = argparse.ArgumentParser(description='ImageNet classification', add_help=add_help)
    parser.add_argument('--data-path', default='/datasets/imagenet', type=str)
    parser.add_argument('--model', default='resnet50', type=str, choices=models.list_models())
    parser.add_argument('--device', default='cuda', type=str)
    parser.add_argument('-b', '--batch-size', default=128, type=int,
                        help='images per GPU; the total batch size is $NGPU x batch_size')
    parser.add_argument('--epochs', default=300, type=int)
    parser.add_argument('-j', '--workers', default=10, type=int)
    parser.add_argument('--opt', default='sgd', type=str, choices=['sgd', 'adamw', 'lamb'])
    parser.add_argument('--lr', default=0.5, type=float)
    parser.add_argument('--momentum', default=0.9, type=float)
    parser.add_argument('--wd', '--weight-decay', default=2e-5, type=float, dest='weight_decay')
    parser.add_argument('--norm-weight-decay', default=0.0, type=float,
                        help='weight decay for BN/bias parameters')
    parser.add_argument('--label-smoothing', default=0.1, type=float)
    parser.add_argument('--lr-warmup-epochs', default=5, type=int)
    parser.add_argument('--lr-warmup-decay', default=0.01, type=float)
    parser.add_argument('--lr-min', default=0.0, type=float)
    parser.add_argument('--clip-grad', default=None, type=float)
    parser.add_argument('--drop-rate', default=0.0, type=float)
    parser.add_argument('--input-size', default=224, type=int)
    parser.add_argument('--crop-pct', default=0.875, type=float)
    parser.add_argument('--auto-augment', default='ta_wide', type=str)
    parser.add_argument('--color-jitter', default=0.4, type=float)
    parser.add_argument('--reprob', default=0.1, type=float, help='random erasing prob')
    parser.add_argument('--print-freq', default=100, type=int)
    parser.add_argument('--output-dir', default='out', type=str)
    parser.add_argument('--resume', default='', type=str)
    parser.add_argument('--start-epoch', default=0, type=int)
    parser.add_argument('--sync-bn', action='store_true', help='use SyncBatchNorm')
    parser.add_argument('--test-only', action='store_true')
    parser.add_argument('--amp', action='store_true', help='mixed precision training')
    parser.add_argument('--model-ema', action='store_true')
    parser.add_argument('--model-ema-decay', default=0.99998, type=float)
    parser.add_argument('--seed', default=42, type=int)
    parser.add_argument('--dist-url', default='env://', type=str)
    parser.add_argument('--save-every', default=10, type=int)
    return parser


def split_weight_decay(model, weight_decay, norm_weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim <= 1 or name.endswith('.bias'):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{'params': no_decay, 'weight_decay': norm_weight_decay},
            {'params': decay, 'weight_decay': weight_decay}]


def build_optimizer(args, model):
    params = split_weight_decay(model, args.weight_decay, args.norm_weight_decay)
    if args.opt == 'sgd':
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, nesterov=True)
    if args.opt == 'adamw':
        return torch.optim.AdamW(params, lr=args.lr)
    raise ValueError('optimizer {} not supported in this release'.format(args.opt))


def build_lr_scheduler(args, optimizer, iters_per_epoch):
    warmup_iters = args.lr_warmup_epochs * iters_per_epoch
    main_iters = (args.epochs - args.lr_warmup_epochs) * iters_per_epoch
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=args.lr_warmup_decay,
                                               total_iters=warmup_iters)
    main = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=main_iters,
                                                      eta_min=args.lr_min)
    return torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers=[warmup, main],
                                                 milestones=[warmup_iters])


def main(args):
    utils.init_distributed_mode(args)
    logger.info('%s', args)
    device = torch.device(args.device)
    torch.manual_seed(args.seed + utils.get_rank())
    torch.backends.cudnn.benchmark = True

    dataset_train, num_classes = build_dataset(is_train=True, args=args)
    dataset_val, _ = build_dataset(is_train=False, args=args)

    if args.distributed:
        sampler_train = DistributedSampler(dataset_train, shuffle=True)
        sampler_val = DistributedSampler(dataset_val, shuffle=False)
    else:
        sampler_train = torch.utils.data.RandomSampler(dataset_train)
        sampler_val = torch.utils.data.SequentialSampler(dataset_val)

    data_loader_train = torch.utils.data.DataLoader(
        dataset_train, batch_size=args.batch_size, sampler=sampler_train,
        num_workers=args.workers, pin_memory=True, drop_last=True, persistent_workers=True)
    data_loader_val = torch.utils.data.DataLoader(
        dataset_val, batch_size=2 * args.batch_size, sampler=sampler_val,
        num_workers=args.workers, pin_memory=True, drop_last=False)

    logger.info('Creating model %s', args.model)
    model = models.create_model(args.model, num_classes=num_classes, drop_rate=args.drop_rate) \
        if args.model.startswith('resnet') else models.create_model(args.model, num_classes=num_classes)
    model.to(device)

    if args.distributed and args.sync_bn:
        # must happen before the DDP wrapper is created
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)

    model_ema = None
    if args.model_ema:
        model_ema = utils.ModelEma(model, decay=args.model_ema_decay, device=device)

    model_without_ddp = model
    if args.distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu])
        model_without_ddp = model.module

    n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info('number of params: %.2fM', n_parameters / 1e6)

    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    optimizer = build_optimizer(args, model_without_ddp)
    lr_scheduler = build_lr_scheduler(args, optimizer, len(data_loader_train))
    scaler = torch.cuda.amp.GradScaler() if args.amp else None

    if args.resume:
        checkpoint = torch.load(args.resume, map_location='cpu')
        model_without_ddp.load_state_dict(checkpoint['model'])
        if not args.test_only:
            optimizer.load_state_dict(checkpoint['optimizer'])
            lr_scheduler.load_state_dict(checkpoint['lr_scheduler'])
            args.start_epoch = checkpoint['epoch'] + 1
            if scaler is not None and 'scaler' in checkpoint:
                scaler.load_state_dict(checkpoint['scaler'])
        if model_ema is not None and 'model_ema' in checkpoint:
            model_ema.load_state_dict(checkpoint['model_ema'])

    if args.test_only:
        evaluate(model, data_loader_val, device=device)
        if model_ema is not None:
            evaluate(model_ema.module, data_loader_val, device=device, header='Test (EMA):')
        return

    logger.info('Start training for %d epochs', args.epochs)
    start_time = time.time()
    max_accuracy = 0.0
    for epoch in range(args.start_epoch, args.epochs):
        if args.distributed:
            sampler_train.set_epoch(epoch)
        train_stats = train_one_epoch(model, criterion, optimizer, data_loader_train, device,
                                      epoch, scaler=scaler, lr_scheduler=lr_scheduler,
                                      model_ema=model_ema, clip_grad=args.clip_grad,
                                      print_freq=args.print_freq)
        test_stats = evaluate(model, data_loader_val, device=device)
        ema_stats = {}
        if model_ema is not None:
            ema_stats = evaluate(model_ema.module, data_loader_val, device=device,
                                 header='Test (EMA):')

        if args.output_dir:
            checkpoint = {
                'model': model_without_ddp.state_dict(),
                'optimizer': optimizer.state_dict(),
                'lr_scheduler': lr_scheduler.state_dict(),
                'epoch': epoch,
                'args': args,
            }
            if model_ema is not None:
                checkpoint['model_ema'] = model_ema.state_dict()
            if scaler is not None:
                checkpoint['scaler'] = scaler.state_dict()
            utils.save_on_master(checkpoint, os.path.join(args.output_dir, 'checkpoint.pth'))
            if epoch % args.save_every == 0:
                utils.save_on_master(checkpoint,
                                     os.path.join(args.output_dir, 'model_{}.pth'.format(epoch)))
            if test_stats['acc1'] > max_accuracy:
                max_accuracy = test_stats['acc1']
                utils.save_on_master(checkpoint, os.path.join(args.output_dir, 'best.pth'))

        log_stats = {**{'train_' + k: v for k, v in train_stats.items()},
                     **{'test_' + k: v for k, v in test_stats.items()},
                     **{'ema_' + k: v for k, v in ema_stats.items()},
                     'epoch': epoch, 'n_parameters': n_parameters}
        if args.output_dir and utils.is_main_process():
            with open(os.path.join(args.output_dir, 'log.txt'), 'a') as f:
                f.write(json.dumps(log_stats) + '\n')
        logger.info('Max accuracy: %.2f%%', max_accuracy)

    total_time = time.time() - start_time
    logger.info('Training time %s', str(datetime.timedelta(seconds=int(total_time))))


if __name__ == '__main__':
    args = get_args_parser().parse_args()
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    main(args)
