"""Linear-probe + partial fine-tuning of an ImageNet ResNet-50 on Flowers-102,
followed by post-training static quantisation for CPU deployment.

Stages 1-3 of the backbone are frozen: their parameters get no gradient and
their BatchNorm layers are kept in eval mode so the ImageNet running
statistics are not overwritten.
"""
import argparse
import copy
import logging
import os
import time

import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torchvision
import torchvision.models.quantization
import torchvision.transforms as T
from torch.utils.data import DataLoader

logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
log = logging.getLogger('finetune')

FROZEN_PREFIXES = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.')


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--data', default='./data')
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--head-lr', type=float, default=0.1)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--workers', type=int, default=8)
    p.add_argument('--calib-batches', type=int, default=32)
    p.add_argument('--out', default='flowers_r50')
    return p.parse_args()


def build_loaders(args):
    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    test_tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])
    train_set = torchvision.datasets.Flowers102(args.data, split='train', transform=train_tf,
                                                download=True)
    val_set = torchvision.datasets.Flowers102(args.data, split='val', transform=test_tf,
                                              download=True)
    test_set = torchvision.datasets.Flowers102(args.data, split='test', transform=test_tf,
                                               download=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=128, num_workers=args.workers)
    return train_loader, val_loader, test_loader


def freeze_early_stages(model):
    for name, param in model.named_parameters():
        if name.startswith(FROZEN_PREFIXES):
            param.requires_grad = False
    set_frozen_bn_eval(model)


def set_frozen_bn_eval(model):
    """Put BN layers of the frozen stages in eval mode (call after model.train())."""
    for name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d) and (name + '.').startswith(FROZEN_PREFIXES):
            module.eval()


def train_epoch(model, loader, optimizer, criterion, device, epoch):
    model.train()
    set_frozen_bn_eval(model)
    total, correct, loss_sum = 0, 0, 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * labels.size(0)
        correct += (logits.argmax(1) == labels).sum().item()
        total += labels.size(0)
    log.info('epoch %d: train loss %.4f acc %.2f', epoch, loss_sum / total, 100.0 * correct / total)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct, total = 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        correct += (model(images).argmax(1) == labels).sum().item()
        total += labels.size(0)
    return 100.0 * correct / total


def resnet_fuse_list(model):
    """Conv-BN(-ReLU) groups of torchvision's quantizable ResNet-50."""
    fuse = [['conv1', 'bn1', 'relu']]
    for lname in ('layer1', 'layer2', 'layer3', 'layer4'):
        for bidx, block in enumerate(getattr(model, lname)):
            prefix = '{}.{}'.format(lname, bidx)
            fuse += [[prefix + '.conv1', prefix + '.bn1', prefix + '.relu1'],
                     [prefix + '.conv2', prefix + '.bn2', prefix + '.relu2'],
                     [prefix + '.conv3', prefix + '.bn3']]
            if block.downsample is not None:
                fuse.append([prefix + '.downsample.0', prefix + '.downsample.1'])
    return fuse


def quantize(model, calib_loader, num_batches):
    qmodel = copy.deepcopy(model).cpu()
    qmodel.eval()
    tq.fuse_modules(qmodel, resnet_fuse_list(qmodel), inplace=True)
    qmodel.qconfig = tq.get_default_qconfig('x86')
    tq.prepare(qmodel, inplace=True)
    with torch.no_grad():
        for i, (images, _) in enumerate(calib_loader):
            if i >= num_batches:
                break
            qmodel(images)
    return tq.convert(qmodel)


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    train_loader, val_loader, test_loader = build_loaders(args)

    # quantizable variant: same weights, plus QuantStub/DeQuantStub and FloatFunctional adds
    model = torchvision.models.quantization.resnet50(
        weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V2, quantize=False)
    model.fc = nn.Linear(model.fc.in_features, 102)
    freeze_early_stages(model)
    model.to(device)

    head_params = list(model.fc.parameters())
    body_params = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith('fc.')]
    optimizer = torch.optim.SGD([{'params': body_params, 'lr': args.lr},
                                 {'params': head_params, 'lr': args.head_lr}],
                                momentum=0.9, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    best = 0.0
    for epoch in range(args.epochs):
        t0 = time.time()
        train_epoch(model, train_loader, optimizer, criterion, device, epoch)
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        log.info('epoch %d: val acc %.2f (%.0fs)', epoch, acc, time.time() - t0)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), os.path.join(args.out, 'best.pth'))

    model.load_state_dict(torch.load(os.path.join(args.out, 'best.pth'), map_location=device))
    log.info('fp32 test acc %.2f', evaluate(model, test_loader, device))

    qmodel = quantize(model, train_loader, args.calib_batches)
    log.info('int8 test acc %.2f', evaluate(qmodel, test_loader, torch.device('cpu')))
    torch.jit.save(torch.jit.script(qmodel), os.path.join(args.out, 'resnet50_int8.pt'))


if __name__ == '__main__':
    main()
