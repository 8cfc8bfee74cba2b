"""Evaluate a trained checkpoint: accuracy, NLL and expected calibration error.

    python test.py --arch resnet18 --checkpoint runs/r18_mixup/model_best.pth.tar
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import models
from datasets import build_dataset
from utils import AverageMeter, accuracy


def expected_calibration_error(confidences, predictions, labels, n_bins=15):
    bin_boundaries = torch.linspace(0, 1, n_bins + 1)
    ece = torch.zeros(1)
    accuracies = predictions.eq(labels)
    for lo, hi in zip(bin_boundaries[:-1], bin_boundaries[1:]):
        in_bin = confidences.gt(lo.item()) * confidences.le(hi.item())
        prop_in_bin = in_bin.float().mean()
        if prop_in_bin.item() > 0:
            acc_in_bin = accuracies[in_bin].float().mean()
            avg_conf_in_bin = confidences[in_bin].mean()
            ece += torch.abs(avg_conf_in_bin - acc_in_bin) * prop_in_bin
    return ece.item()


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a CIFAR checkpoint')
    parser.add_argument('--data', default='./data')
    parser.add_argument('--dataset', default='cifar10', choices=['cifar10', 'cifar100'])
    parser.add_argument('-a', '--arch', default='resnet18', choices=models.model_names())
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--batch-size', default=500, type=int)
    parser.add_argument('--workers', default=4, type=int)
    parser.add_argument('--n-bins', default=15, type=int)
    parser.add_argument('--out', default='', help='optional json file for the results')
    return parser.parse_args()


def main():
    args = parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    test_set, num_classes = build_dataset(args.dataset, args.data, train=False)
    test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False,
                             num_workers=args.workers, pin_memory=True)

    model = models.build_model(args.arch, num_classes=num_classes)
    checkpoint = torch.load(args.checkpoint, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = {k.replace('module.', '', 1): v for k, v in state_dict.items()}
    model.load_state_dict(state_dict)
    model = model.to(device)

    top1 = AverageMeter('Acc@1', ':6.2f')
    nll = AverageMeter('NLL', ':.4f')
    all_conf, all_pred, all_labels = [], [], []

    with torch.no_grad():
        for images, target in test_loader:
            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            logits = model(images)  # expect: BN101
            probs = F.softmax(logits, dim=1)
            conf, pred = probs.max(dim=1)

            acc1, = accuracy(logits, target, topk=(1,))
            top1.update(acc1[0].item(), images.size(0))
            nll.update(F.cross_entropy(logits, target).item(), images.size(0))
            all_conf.append(conf.cpu())
            all_pred.append(pred.cpu())
            all_labels.append(target.cpu())

    ece = expected_calibration_error(torch.cat(all_conf), torch.cat(all_pred),
                                     torch.cat(all_labels), n_bins=args.n_bins)
    results = {'acc1': top1.avg, 'nll': nll.avg, 'ece': ece}
    print(json.dumps(results, indent=2))
    if args.out:
        os.makedirs(os.path.dirname(args.out) or '.', exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
