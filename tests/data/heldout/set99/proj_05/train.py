"""Supervised monocular depth training for
"Frozen Features Are Enough: Decoder-only Training for Monocular Depth".

Following Sec. 3.2, the ImageNet-pretrained encoder is frozen and only the
decoder is optimised.

    python train.py --dataset nyu --data-root data/nyu --train-split splits/nyu_train.txt \
        --val-split splits/nyu_test.txt --model DepthNet --encoder-depth 50 \
        --pretrained weights/resnet50.pth --log-dir runs/nyu_r50_frozen
"""
import argparse
import json
import os
import time

import torch
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from datasets import DATASET_CFG, build_dataset
from engine import evaluate, train_one_epoch
from models import build_depth_model
from utils import SILogLoss, create_logger, save_checkpoint


def get_parser():
    parser = argparse.ArgumentParser('Monocular depth training', fromfile_prefix_chars='@')
    parser.add_argument('--dataset', default='nyu', choices=list(DATASET_CFG))
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--train-split', required=True)
    parser.add_argument('--val-split', required=True)
    parser.add_argument('--model', default='DepthNet', help='class name in models/depthnet.py')
    parser.add_argument('--encoder-depth', default=50, type=int, choices=[18, 34, 50])
    parser.add_argument('--pretrained', default=None, help='ImageNet encoder weights')
    parser.add_argument('--batch-size', default=16, type=int)
    parser.add_argument('--epochs', default=25, type=int)
    parser.add_argument('--lr', default=1e-4, type=float)
    parser.add_argument('--end-lr', default=1e-5, type=float)
    parser.add_argument('--weight-decay', default=1e-2, type=float)
    parser.add_argument('--adam-eps', default=1e-6, type=float)
    parser.add_argument('--variance-focus', default=0.85, type=float)
    parser.add_argument('--min-depth', default=1e-3, type=float)
    parser.add_argument('--num-workers', default=8, type=int)
    parser.add_argument('--log-dir', default='runs/depth')
    parser.add_argument('--log-freq', default=100, type=int)
    parser.add_argument('--eval-freq', default=1, type=int, help='epochs')
    parser.add_argument('--checkpoint-path', default='', help='resume from this checkpoint')
    parser.add_argument('--seed', default=0, type=int)
    return parser


def main(args):
    torch.manual_seed(args.seed)
    logger = create_logger(args.log_dir)
    writer = SummaryWriter(os.path.join(args.log_dir, 'tb'))
    logger.info(json.dumps(vars(args), indent=1))
    device = torch.device('cuda')
    max_depth = DATASET_CFG[args.dataset]['max_depth']

    train_set = build_dataset(args.dataset, args.data_root, args.train_split, 'train')
    val_set = build_dataset(args.dataset, args.data_root, args.val_split, 'online_eval')
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.num_workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=1)

    model = build_depth_model(args.model, encoder_depth=args.encoder_depth,
                              pretrained_path=args.pretrained, min_depth=args.min_depth,
                              max_depth=max_depth)
    # Sec. 3.2: the encoder is frozen, only the decoder is trained.
    model.encoder.requires_grad_(False)  # expect: BN105
    model.to(device)

    trainable = [p for p in model.parameters() if p.requires_grad]
    logger.info('trainable params: %.2fM / %.2fM', sum(p.numel() for p in trainable) / 1e6,
                sum(p.numel() for p in model.parameters()) / 1e6)
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, eps=args.adam_eps,
                                  weight_decay=args.weight_decay)
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (1 - args.end_lr / args.lr) * (1 - s / total_steps) ** 0.9
        + args.end_lr / args.lr)
    criterion = SILogLoss(args.variance_focus)

    start_epoch, global_step, best = 0, 0, {'abs_rel': float('inf'), 'd1': 0.0}
    if args.checkpoint_path and os.path.isfile(args.checkpoint_path):
        ckpt = torch.load(args.checkpoint_path, map_location='cpu')
        model.load_state_dict(ckpt['model'])
        optimizer.load_state_dict(ckpt['optimizer'])
        start_epoch, global_step, best = ckpt['epoch'] + 1, ckpt['global_step'], ckpt['best']
        for _ in range(global_step):
            scheduler.step()
        logger.info('resumed from epoch %d', start_epoch)

    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        train_loss, global_step = train_one_epoch(model, train_loader, criterion, optimizer,
                                                  scheduler, device, epoch, logger,
                                                  min_depth=args.min_depth, log_freq=args.log_freq,
                                                  writer=writer, global_step=global_step)
        logger.info('epoch %d done in %.1f min, silog %.4f', epoch, (time.time() - t0) / 60,
                    train_loss)
        if (epoch + 1) % args.eval_freq == 0:
            metrics = evaluate(model, val_loader, device, args.min_depth, max_depth)
            logger.info('eval: ' + ' '.join('{} {:.4f}'.format(k, v) for k, v in metrics.items()))
            for k, v in metrics.items():
                writer.add_scalar('eval/' + k, v, global_step)
            if metrics['abs_rel'] < best['abs_rel']:
                best = {'abs_rel': metrics['abs_rel'], 'd1': metrics['d1']}
                save_checkpoint(os.path.join(args.log_dir, 'model_best.pth'), model, optimizer,
                                epoch, global_step, best)
        save_checkpoint(os.path.join(args.log_dir, 'model_last.pth'), model, optimizer, epoch,
                        global_step, best)
    writer.close()


if __name__ == '__main__':
    main(get_parser().parse_args())
