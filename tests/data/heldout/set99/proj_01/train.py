"""Training script for "Mixup Revisited: Calibrated Interpolation for CIFAR".

Example:
    python train.py --arch resnet18 --dataset cifar10 --mixup-alpha 1.0 \
        --output-dir runs/r18_mixup
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.backends.cudnn as cudnn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

import models
from datasets import build_dataset
from engine import validate
from utils import (AverageMeter, ProgressMeter, accuracy, count_parameters, mixup_criterion,
                   mixup_data, save_checkpoint, set_seed, setup_logger)


def get_args_parser():
    parser = argparse.ArgumentParser(description='CIFAR training with calibrated mixup')
    # data
    parser.add_argument('--data', default='./data', type=str, help='dataset root')
    parser.add_argument('--dataset', default='cifar10', choices=['cifar10', 'cifar100'])
    parser.add_argument('--cutout', default=0, type=int, help='cutout length (0 disables)')
    parser.add_argument('--autoaugment', action='store_true')
    parser.add_argument('-j', '--workers', default=4, type=int)
    # model
    parser.add_argument('-a', '--arch', default='resnet18', choices=models.model_names())
    # optimisation
    parser.add_argument('--epochs', default=200, type=int)
    parser.add_argument('--start-epoch', default=0, type=int)
    parser.add_argument('-b', '--batch-size', default=128, type=int)
    parser.add_argument('--test-batch-size', default=256, type=int)
    parser.add_argument('--lr', '--learning-rate', default=0.1, type=float, dest='lr')
    parser.add_argument('--momentum', default=0.9, type=float)
    parser.add_argument('--wd', '--weight-decay', default=5e-4, type=float, dest='weight_decay')
    parser.add_argument('--nesterov', action='store_true')
    parser.add_argument('--scheduler', default='cosine', choices=['cosine', 'step'])
    parser.add_argument('--milestones', default=[100, 150], type=int, nargs='+')
    parser.add_argument('--gamma', default=0.1, type=float)
    parser.add_argument('--warmup-epochs', default=0, type=int)
    parser.add_argument('--label-smoothing', default=0.0, type=float)
    # mixup
    parser.add_argument('--mixup-alpha', default=1.0, type=float, help='0 disables mixup')
    parser.add_argument('--mixup-off-epoch', default=-1, type=int,
                        help='switch mixup off for the last N epochs (-1: never)')
    # misc
    parser.add_argument('--seed', default=0, type=int)
    parser.add_argument('--print-freq', '-p', default=50, type=int)
    parser.add_argument('--eval-freq', default=1, type=int)
    parser.add_argument('--resume', default='', type=str, metavar='PATH')
    parser.add_argument('--output-dir', default='runs/default', type=str)
    parser.add_argument('--no-tensorboard', action='store_true')
    parser.add_argument('--evaluate', action='store_true', help='evaluate only')
    return parser


def build_scheduler(optimizer, args, steps_per_epoch):
    if args.scheduler == 'cosine':
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=args.milestones,
                                                gamma=args.gamma)


def adjust_warmup_lr(optimizer, epoch, step, steps_per_epoch, args):
    if epoch >= args.warmup_epochs:
        return
    progress = (epoch * steps_per_epoch + step + 1) / float(args.warmup_epochs * steps_per_epoch)
    for group in optimizer.param_groups:
        group['lr'] = args.lr * progress


def main(args):
    os.makedirs(args.output_dir, exist_ok=True)
    logger = setup_logger(args.output_dir)
    logger.info('args: %s', json.dumps(vars(args), indent=2))
    with open(os.path.join(args.output_dir, 'args.json'), 'w') as f:
        json.dump(vars(args), f, indent=2)

    set_seed(args.seed)
    cudnn.benchmark = True
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    train_set, num_classes = build_dataset(args.dataset, args.data, train=True,
                                           cutout=args.cutout, autoaugment=args.autoaugment)
    val_set, _ = build_dataset(args.dataset, args.data, train=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.test_batch_size, shuffle=False,
                            num_workers=args.workers, pin_memory=True)

    model = models.build_model(args.arch, num_classes=num_classes)
    model = model.to(device)
    logger.info('=> %s with %.2fM trainable parameters', args.arch, count_parameters(model) / 1e6)

    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay, nesterov=args.nesterov)
    scheduler = build_scheduler(optimizer, args, len(train_loader))

    best_acc1 = 0.0
    if args.resume:
        if os.path.isfile(args.resume):
            logger.info("=> loading checkpoint '%s'", args.resume)
            checkpoint = torch.load(args.resume, map_location=device)
            args.start_epoch = checkpoint['epoch']
            best_acc1 = checkpoint['best_acc1']
            model.load_state_dict(checkpoint['state_dict'])
            optimizer.load_state_dict(checkpoint['optimizer'])
            scheduler.load_state_dict(checkpoint['scheduler'])
            logger.info("=> loaded checkpoint (epoch %d)", checkpoint['epoch'])
        else:
            logger.warning("=> no checkpoint found at '%s'", args.resume)

    if args.evaluate:
        validate(val_loader, model, criterion, args, logger)
        return

    writer = None if args.no_tensorboard else SummaryWriter(os.path.join(args.output_dir, 'tb'))
    steps_per_epoch = len(train_loader)

    # switch to train mode
    model.train()
    for epoch in range(args.start_epoch, args.epochs):
        batch_time = AverageMeter('Time', ':6.3f')
        data_time = AverageMeter('Data', ':6.3f')
        losses = AverageMeter('Loss', ':.4e')
        top1 = AverageMeter('Acc@1', ':6.2f')
        progress = ProgressMeter(steps_per_epoch, [batch_time, data_time, losses, top1],
                                 prefix='Epoch: [{}]'.format(epoch))

        use_mixup = args.mixup_alpha > 0 and not (
            args.mixup_off_epoch > 0 and epoch >= args.epochs - args.mixup_off_epoch)

        end = time.time()
        for i, (images, target) in enumerate(train_loader):
            data_time.update(time.time() - end)
            adjust_warmup_lr(optimizer, epoch, i, steps_per_epoch, args)

            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)

            if use_mixup:
                images, target_a, target_b, lam = mixup_data(images, target, args.mixup_alpha)
                output = model(images)
                loss = mixup_criterion(criterion, output, target_a, target_b, lam)
            else:
                output = model(images)
                loss = criterion(output, target)

            acc1, = accuracy(output, target, topk=(1,))
            losses.update(loss.item(), images.size(0))
            top1.update(acc1[0].item(), images.size(0))

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

            batch_time.update(time.time() - end)
            end = time.time()
            if i % args.print_freq == 0:
                progress.display(i, logger)

        if epoch >= args.warmup_epochs:
            scheduler.step()

        if writer is not None:
            writer.add_scalar('train/loss', losses.avg, epoch)
            writer.add_scalar('train/acc1', top1.avg, epoch)
            writer.add_scalar('train/lr', optimizer.param_groups[0]['lr'], epoch)

        if (epoch + 1) % args.eval_freq == 0 or epoch == args.epochs - 1:
            acc1 = validate(val_loader, model, criterion, args, logger)  # expect: BN103
            is_best = acc1 > best_acc1
            best_acc1 = max(acc1, best_acc1)
            if writer is not None:
                writer.add_scalar('val/acc1', acc1, epoch)
            logger.info('epoch %d: val acc1 %.3f (best %.3f)', epoch, acc1, best_acc1)
        else:
            is_best = False

        save_checkpoint({
            'epoch': epoch + 1,
            'arch': args.arch,
            'state_dict': model.state_dict(),
            'best_acc1': best_acc1,
            'optimizer': optimizer.state_dict(),
            'scheduler': scheduler.state_dict(),
        }, is_best, args.output_dir)

    if writer is not None:
        writer.close()
    logger.info('done. best acc1 %.3f', best_acc1)


if __name__ == '__main__':
    main(get_args_parser().parse_args())
