import argparse
import math
import os

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data as data

import eval as eval_script
from backbone import construct_backbone
from data import COCODetection, MEANS, cfg, detection_collate, set_cfg
from layers.modules import MultiBoxLoss
from utils.augmentations import BaseTransform, SSDAugmentation


# yolact.py
class Yolact(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = construct_backbone(cfg.backbone)
        if cfg.freeze_bn:
            self.freeze_bn()
        self.proto_net = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True),
                                       nn.Conv2d(256, cfg.mask_dim, 1))

    def train(self, mode=True):
        super().train(mode)

        if cfg.freeze_bn:
            self.freeze_bn()

    def freeze_bn(self, enable=False):
        """ Adapted from https://discuss.pytorch.org/t/how-to-train-with-frozen-batchnorm/12106/8 """
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.train() if enable else module.eval()

                module.weight.requires_grad = enable
                module.bias.requires_grad = enable

    def save_weights(self, path):
        torch.save(self.state_dict(), path)

    def init_weights(self, backbone_path):
        self.backbone.init_backbone(backbone_path)

    def forward(self, x):
        outs = self.backbone(x)
        return self.proto_net(outs[0])


# train.py
parser = argparse.ArgumentParser(description='Yolact Training Script')
parser.add_argument('--batch_size', default=8, type=int, help='Batch size for training')
parser.add_argument('--num_workers', default=4, type=int, help='Number of workers used in dataloading')
parser.add_argument('--lr', '--learning_rate', default=None, type=float)
parser.add_argument('--momentum', default=None, type=float)
parser.add_argument('--decay', '--weight_decay', default=None, type=float)
parser.add_argument('--save_folder', default='weights/')
parser.add_argument('--config', default=None)
args = parser.parse_args()

if args.config is not None:
    set_cfg(args.config)

if args.lr is None: args.lr = cfg.lr
if args.momentum is None: args.momentum = cfg.momentum
if args.decay is None: args.decay = cfg.decay

if torch.cuda.device_count() == 0:
    print('No GPUs detected. Exiting...')
    exit(-1)

if args.batch_size // torch.cuda.device_count() < 6:
    print('Per-GPU batch size is less than the recommended limit for batch norm. Disabling batch norm.')
    cfg.freeze_bn = True


class NetLoss(nn.Module):
    """
    A wrapper for running the network and computing the loss
    This is so we can more efficiently use DataParallel.
    """
    def __init__(self, net: Yolact, criterion: MultiBoxLoss):
        super().__init__()
        self.net = net
        self.criterion = criterion

    def forward(self, images, targets, masks, num_crowds):
        preds = self.net(images)
        return self.criterion(preds, targets, masks, num_crowds)


def train():
    if not os.path.exists(args.save_folder):
        os.mkdir(args.save_folder)

    dataset = COCODetection(image_path=cfg.dataset.train_images,
                            info_file=cfg.dataset.train_info,
                            transform=SSDAugmentation(MEANS))
    val_dataset = COCODetection(image_path=cfg.dataset.valid_images,
                                info_file=cfg.dataset.valid_info,
                                transform=BaseTransform(MEANS))

    yolact_net = Yolact()
    net = yolact_net
    net.train()
    yolact_net.init_weights(backbone_path=args.save_folder + cfg.backbone.path)

    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.decay)
    criterion = MultiBoxLoss(num_classes=cfg.num_classes,
                             pos_threshold=cfg.positive_iou_threshold,
                             neg_threshold=cfg.negative_iou_threshold,
                             negpos_ratio=cfg.ohem_negpos_ratio)

    net = nn.DataParallel(NetLoss(net, criterion))
    net = net.cuda()

    # Initialize everything
    if not cfg.freeze_bn: yolact_net.freeze_bn()  # Freeze bn so we don't kill our means
    yolact_net(torch.zeros(1, 3, cfg.max_size, cfg.max_size).cuda())
    if not cfg.freeze_bn: yolact_net.freeze_bn(True)

    iteration = 0
    epoch_size = len(dataset) // args.batch_size
    num_epochs = math.ceil(cfg.max_iter / epoch_size)

    data_loader = data.DataLoader(dataset, args.batch_size,
                                  num_workers=args.num_workers,
                                  shuffle=True, collate_fn=detection_collate,
                                  pin_memory=True)

    for epoch in range(num_epochs):
        for images, (targets, masks, num_crowds) in data_loader:
            # Stop if we've reached an epoch if we're resuming from start_iter
            if iteration == (epoch + 1) * epoch_size:
                break
            if iteration == cfg.max_iter:
                break

            optimizer.zero_grad()
            losses = net(images, targets, masks, num_crowds)
            losses = {k: (v).mean() for k, v in losses.items()}  # Mean here because Dataparallel
            loss = sum([losses[k] for k in losses])
            loss.backward()
            if torch.isfinite(loss).item():
                optimizer.step()
            iteration += 1

        compute_validation_map(epoch, iteration, yolact_net, val_dataset)

    yolact_net.save_weights(os.path.join(args.save_folder, cfg.name + '_final.pth'))


def compute_validation_map(epoch, iteration, yolact_net, dataset):
    with torch.no_grad():
        yolact_net.eval()
        print("Computing validation mAP (this may take a while)...", flush=True)
        val_info = eval_script.evaluate(yolact_net, dataset, train_mode=True)
        yolact_net.train()
        return val_info


if __name__ == '__main__':
    train()
