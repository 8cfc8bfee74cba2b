import torch
import torch.nn.functional as F

from utils import AverageMeter, ConfusionMatrix, poly_lr


def criterion(outputs, target, aux_weight=0.4, ignore_index=255):
    if isinstance(outputs, tuple):
        out, aux = outputs
        return (F.cross_entropy(out, target, ignore_index=ignore_index)
                + aux_weight * F.cross_entropy(aux, target, ignore_index=ignore_index))
    return F.cross_entropy(outputs, target, ignore_index=ignore_index)


def train_one_epoch(model, loader, optimizer, scaler, epoch, cur_iter, max_iter, base_lr,
                    device, logger, log_interval=50, aux_weight=0.4):
    # the backbone's train() override keeps frozen stages / BN layers in eval mode
    model.train()
    loss_meter = AverageMeter()
    for i, (images, masks) in enumerate(loader):
        lr = poly_lr(optimizer, base_lr, cur_iter, max_iter)
        images = images.to(device, non_blocking=True)
        masks = masks.to(device, non_blocking=True)
        with torch.autocast('cuda', dtype=torch.float16, enabled=scaler is not None):
            outputs = model(images)
            loss = criterion(outputs, masks, aux_weight)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        loss_meter.update(loss.item(), images.size(0))
        cur_iter += 1
        if i % log_interval == 0:
            logger.info('epoch %d iter %d/%d lr %.5f loss %.4f', epoch, cur_iter, max_iter, lr,
                        loss_meter.avg)
        if cur_iter >= max_iter:
            break
    return cur_iter, loss_meter.avg


@torch.no_grad()
def evaluate(model, loader, num_classes, device):
    model.eval()
    confmat = ConfusionMatrix(num_classes)
    for images, masks in loader:
        images = images.to(device, non_blocking=True)
        masks = masks.to(device, non_blocking=True)
        output = model(images)
        confmat.update(output.argmax(1).flatten(), masks.flatten())
    confmat.reduce_from_all_processes()
    return confmat.compute()
