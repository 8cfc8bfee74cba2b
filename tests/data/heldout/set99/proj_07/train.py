"""Semi-supervised keyword spotting with Mean Teacher, code for
"How Few Labels Does a Keyword Spotter Need?".

    python train.py --arch tc-resnet8 --labels-per-class 100 --out runs/tc8_l100
"""
import argparse
import copy
import json
import os
import time

import torch
from torch.utils.data import DataLoader

import models
from datasets import SpeechCommands, TwoViews, split_labelled
from engine import evaluate, train_one_epoch
from utils import get_logger, save_checkpoint


def get_args():
    p = argparse.ArgumentParser(description='Mean Teacher KWS')
    p.add_argument('--root', default='./data')
    p.add_argument('--noise-dir', default='./data/SpeechCommands/speech_commands_v0.02/_background_noise_')
    p.add_argument('--arch', default='tc-resnet8', choices=sorted(models.ARCHS))
    p.add_argument('--labels-per-class', type=int, default=100)
    p.add_argument('--labelled-batch-size', type=int, default=32)
    p.add_argument('--unlabelled-batch-size', type=int, default=96)
    p.add_argument('--eval-batch-size', type=int, default=256)
    p.add_argument('--epochs', type=int, default=150)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float, default=1e-3)
    p.add_argument('--nesterov', action='store_true')
    p.add_argument('--ema-decay', type=float, default=0.999)
    p.add_argument('--consistency', type=float, default=10.0)
    p.add_argument('--consistency-rampup', type=int, default=30)
    p.add_argument('--workers', type=int, default=8)
    p.add_argument('--print-freq', type=int, default=50)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='runs/mt')
    p.add_argument('--resume', default='')
    return p.parse_args()


def main():
    args = get_args()
    torch.manual_seed(args.seed)
    logger = get_logger(args.out)
    logger.info(json.dumps(vars(args)))
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    train_full = SpeechCommands(args.root, 'training', augment=True, noise_dir=args.noise_dir)
    labelled, unlabelled = split_labelled(train_full, args.labels_per_class, seed=args.seed)
    val_set = SpeechCommands(args.root, 'validation')
    test_set = SpeechCommands(args.root, 'testing')
    logger.info('labelled %d / unlabelled %d / val %d / test %d', len(labelled), len(unlabelled),
                len(val_set), len(test_set))

    labelled_loader = DataLoader(TwoViews(labelled), batch_size=args.labelled_batch_size,
                                 shuffle=True, num_workers=args.workers // 2, drop_last=True,
                                 pin_memory=True)
    unlabelled_loader = DataLoader(TwoViews(unlabelled), batch_size=args.unlabelled_batch_size,
                                   shuffle=True, num_workers=args.workers // 2, drop_last=True,
                                   pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=args.eval_batch_size, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=args.eval_batch_size, num_workers=args.workers)

    student = models.create(args.arch).to(device)
    teacher = copy.deepcopy(student)  # updated by EMA only, never by the optimiser

    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay, nesterov=args.nesterov)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(labelled_loader),
        pct_start=0.1)

    start_epoch, global_step, best_acc = 0, 0, 0.0
    if args.resume:
        ckpt = torch.load(args.resume, map_location='cpu')
        student.load_state_dict(ckpt['student'])
        teacher.load_state_dict(ckpt['teacher'])
        optimizer.load_state_dict(ckpt['optimizer'])
        scheduler.load_state_dict(ckpt['scheduler'])
        start_epoch, global_step, best_acc = ckpt['epoch'] + 1, ckpt['global_step'], ckpt['best_acc']

    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        global_step, cls_loss, train_acc = train_one_epoch(
            student, teacher, labelled_loader, unlabelled_loader, optimizer, scheduler, epoch,
            global_step, args, device, logger)
        s_val = evaluate(student, val_loader, device)
        t_val = evaluate(teacher, val_loader, device)
        logger.info('epoch %d (%.0fs): train acc %.2f | val student %.2f teacher %.2f', epoch,
                    time.time() - t0, train_acc, s_val['acc'], t_val['acc'])

        state = dict(student=student.state_dict(), teacher=teacher.state_dict(),
                     optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                     epoch=epoch, global_step=global_step, best_acc=max(best_acc, t_val['acc']),
                     arch=args.arch)
        save_checkpoint(os.path.join(args.out, 'last.pth'), **state)
        if t_val['acc'] > best_acc:
            best_acc = t_val['acc']
            save_checkpoint(os.path.join(args.out, 'best.pth'), **state)

    ckpt = torch.load(os.path.join(args.out, 'best.pth'), map_location=device)
    teacher.load_state_dict(ckpt['teacher'])
    test = evaluate(teacher, test_loader, device)
    logger.info('test accuracy (teacher, best val): %.2f', test['acc'])


if __name__ == '__main__':
    main()
