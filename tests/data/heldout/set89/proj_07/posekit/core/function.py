import logging
import time

import numpy as np
import torch
import torch.nn as nn

from .evaluate import accuracy

logger = logging.getLogger(__name__)


class JointsMSELoss(nn.Module):
    def __init__(self, use_target_weight):
        super(JointsMSELoss, self).__init__()
        self.criterion = nn.MSELoss(reduction="mean")
        self.use_target_weight = use_target_weight

    def forward(self, output, target, target_weight):
        batch_size = output.size(0)
        num_joints = output.size(1)
        heatmaps_pred = output.reshape((batch_size, num_joints, -1)).split(1, 1)
        heatmaps_gt = target.reshape((batch_size, num_joints, -1)).split(1, 1)
        loss = 0

        for idx in range(num_joints):
            heatmap_pred = heatmaps_pred[idx].squeeze()
            heatmap_gt = heatmaps_gt[idx].squeeze()
            if self.use_target_weight:
                loss += 0.5 * self.criterion(
                    heatmap_pred.mul(target_weight[:, idx]),
                    heatmap_gt.mul(target_weight[:, idx]),
                )
            else:
                loss += 0.5 * self.criterion(heatmap_pred, heatmap_gt)

        return loss / num_joints


class AverageMeter(object):
    """Computes and stores the average and current value"""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count if self.count != 0 else 0


def train(config, train_loader, model, criterion, optimizer, epoch):
    batch_time = AverageMeter()
    losses = AverageMeter()
    acc = AverageMeter()

    # switch to train mode
    model.train()

    end = time.time()
    for i, (input, target, target_weight, meta) in enumerate(train_loader):
        input = input.cuda(non_blocking=True)
        target = target.cuda(non_blocking=True)
        target_weight = target_weight.cuda(non_blocking=True)

        output = model(input)
        loss = criterion(output, target, target_weight)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        losses.update(loss.item(), input.size(0))
        _, avg_acc, cnt, pred = accuracy(output.detach().cpu().numpy(), target.detach().cpu().numpy())
        acc.update(avg_acc, cnt)

        batch_time.update(time.time() - end)
        end = time.time()

        if i % config["PRINT_FREQ"] == 0:
            logger.info(
                "Epoch: [%d][%d/%d]\tTime %.3fs\tLoss %.5f (%.5f)\tAccuracy %.3f (%.3f)",
                epoch, i, len(train_loader), batch_time.val, losses.val, losses.avg, acc.val, acc.avg,
            )


def validate(config, val_loader, val_dataset, model, criterion):
    batch_time = AverageMeter()
    losses = AverageMeter()
    acc = AverageMeter()

    num_samples = len(val_dataset)
    num_joints = config["MODEL"]["NUM_JOINTS"]
    all_preds = np.zeros((num_samples, num_joints, 3), dtype=np.float32)
    idx = 0
    with torch.no_grad():
        end = time.time()
        for i, (input, target, target_weight, meta) in enumerate(val_loader):
            input = input.cuda(non_blocking=True)
            output = model(input)  # expect: BN101

            target = target.cuda(non_blocking=True)
            target_weight = target_weight.cuda(non_blocking=True)
            loss = criterion(output, target, target_weight)

            num_images = input.size(0)
            losses.update(loss.item(), num_images)
            _, avg_acc, cnt, pred = accuracy(output.cpu().numpy(), target.cpu().numpy())
            acc.update(avg_acc, cnt)

            all_preds[idx:idx + num_images, :, 0:2] = pred[:, :, 0:2]
            all_preds[idx:idx + num_images, :, 2:3] = output.amax(dim=(2, 3)).cpu().numpy()[..., None]
            idx += num_images

            batch_time.update(time.time() - end)
            end = time.time()

            if i % config["PRINT_FREQ"] == 0:
                logger.info("Test: [%d/%d]\tLoss %.4f (%.4f)\tAccuracy %.3f (%.3f)",
                            i, len(val_loader), losses.val, losses.avg, acc.val, acc.avg)

    logger.info("=> validation PCK@0.5: %.4f", acc.avg)
    return acc.avg
