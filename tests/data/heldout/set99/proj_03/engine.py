import torch
import torch.nn as nn

from utils import AverageMeter, accuracy, macro_f1


def train_one_epoch(model, loader, optimizer, criterion, device, epoch, logger, accum_steps=1,
                    max_grad_norm=None, scheduler=None, log_every=100):
    model.train()
    loss_meter, acc_meter = AverageMeter(), AverageMeter()
    optimizer.zero_grad()
    for step, (tokens, labels) in enumerate(loader):
        tokens, labels = tokens.to(device), labels.to(device)
        logits = model(tokens)
        loss = criterion(logits, labels) / accum_steps
        loss.backward()

        if (step + 1) % accum_steps == 0:
            if max_grad_norm:
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            optimizer.zero_grad()
            if scheduler is not None:
                scheduler.step()

        loss_meter.update(loss.item() * accum_steps, tokens.size(0))
        acc_meter.update(accuracy(logits.detach(), labels), tokens.size(0))
        if step % log_every == 0:
            logger.info('epoch %d step %d/%d loss %.4f acc %.2f', epoch, step, len(loader),
                        loss_meter.avg, acc_meter.avg)
    return loss_meter.avg, acc_meter.avg


@torch.no_grad()
def evaluate(model, loader, criterion, device, num_classes):
    model.eval()
    loss_meter = AverageMeter()
    all_preds, all_labels = [], []
    for tokens, labels in loader:
        tokens, labels = tokens.to(device), labels.to(device)
        logits = model(tokens)
        loss_meter.update(criterion(logits, labels).item(), tokens.size(0))
        all_preds.append(logits.argmax(dim=1).cpu())
        all_labels.append(labels.cpu())
    preds, labels = torch.cat(all_preds), torch.cat(all_labels)
    acc = (preds == labels).float().mean().item() * 100.0
    return {'loss': loss_meter.avg, 'acc': acc, 'macro_f1': macro_f1(preds, labels, num_classes)}
