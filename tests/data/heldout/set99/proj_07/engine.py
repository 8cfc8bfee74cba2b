import itertools

import torch
import torch.nn.functional as F

from utils import AverageMeter, accuracy, sigmoid_rampup, softmax_mse_loss, update_ema_variables


def train_one_epoch(student, teacher, labelled_loader, unlabelled_loader, optimizer, scheduler,
                    epoch, global_step, args, device, logger):
    """Mean Teacher (Tarvainen & Valpola, 2017) epoch.

    The teacher runs in training mode (dropout + batch statistics) under
    no_grad, exactly like the reference implementation; its outputs are the
    consistency targets for the student, whose loss is back-propagated.
    """
    student.train()
    teacher.train()
    cls_meter, cons_meter, acc_meter = AverageMeter(), AverageMeter(), AverageMeter()
    unl_iter = itertools.cycle(unlabelled_loader)

    for i, (x_l, x_l_t, y_l) in enumerate(labelled_loader):
        x_u, x_u_t, _ = next(unl_iter)
        x_s = torch.cat([x_l, x_u]).to(device, non_blocking=True)
        x_t = torch.cat([x_l_t, x_u_t]).to(device, non_blocking=True)
        y_l = y_l.to(device, non_blocking=True)
        n_l = x_l.size(0)

        student_logits = student(x_s)
        with torch.no_grad():
            teacher_logits = teacher(x_t)

        class_loss = F.cross_entropy(student_logits[:n_l], y_l)
        weight = args.consistency * sigmoid_rampup(epoch, args.consistency_rampup)
        consistency_loss = weight * softmax_mse_loss(student_logits, teacher_logits) / x_s.size(0)
        loss = class_loss + consistency_loss

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        global_step += 1
        update_ema_variables(student, teacher, args.ema_decay, global_step)

        cls_meter.update(class_loss.item(), n_l)
        cons_meter.update(consistency_loss.item(), x_s.size(0))
        acc_meter.update(accuracy(student_logits[:n_l].detach(), y_l), n_l)
        if i % args.print_freq == 0:
            logger.info('epoch %d [%d/%d] cls %.4f cons %.4f (w=%.2f) acc %.2f', epoch, i,
                        len(labelled_loader), cls_meter.avg, cons_meter.avg, weight, acc_meter.avg)
    return global_step, cls_meter.avg, acc_meter.avg


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    for wav, target in loader:
        wav, target = wav.to(device), target.to(device)
        logits = model(wav)
        loss_sum += F.cross_entropy(logits, target, reduction='sum').item()
        correct += logits.argmax(1).eq(target).sum().item()
        total += target.size(0)
    return {'acc': 100.0 * correct / total, 'loss': loss_sum / total}
