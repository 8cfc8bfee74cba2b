import numpy as np
import torch
import torch.nn.functional as F

from utils import AverageMeter, compute_depth_metrics


def train_one_epoch(model, loader, criterion, optimizer, scheduler, device, epoch, logger,
                    min_depth=1e-3, log_freq=100, writer=None, global_step=0):
    model.train()
    meter = AverageMeter()
    for step, batch in enumerate(loader):
        image = batch['image'].to(device, non_blocking=True)
        depth_gt = batch['depth'].to(device, non_blocking=True)
        pred = model(image)
        mask = depth_gt > min_depth
        loss = criterion(pred, depth_gt, mask)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()

        meter.update(loss.item(), image.size(0))
        global_step += 1
        if step % log_freq == 0:
            logger.info('[epoch %d][%d/%d] silog %.4f lr %.2e', epoch, step, len(loader),
                        meter.avg, optimizer.param_groups[0]['lr'])
            if writer is not None:
                writer.add_scalar('train/silog', loss.item(), global_step)
    return meter.avg, global_step


@torch.no_grad()
def evaluate(model, loader, device, min_depth=1e-3, max_depth=10.0, eigen_crop=True):
    model.eval()
    all_metrics = []
    for batch in loader:
        image = batch['image'].to(device)
        gt = batch['depth'].numpy().squeeze()
        pred = model(image)
        pred_flip = model(torch.flip(image, [3]))
        pred = 0.5 * (pred + torch.flip(pred_flip, [3]))
        pred = pred.cpu().numpy().squeeze().clip(min_depth, max_depth)
        valid = np.logical_and(gt > min_depth, gt < max_depth)
        if eigen_crop:
            crop = np.zeros(valid.shape, dtype=bool)
            h, w = gt.shape
            crop[int(0.0359477 * h):int(0.98392157 * h), int(0.0395 * w):int(0.96014 * w)] = True
            valid = np.logical_and(valid, crop)
        all_metrics.append(compute_depth_metrics(gt[valid], pred[valid]))
    return {k: float(np.mean([m[k] for m in all_metrics])) for k in all_metrics[0]}
