import argparse
import os

import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, random_split

from unet_seg import TrainConfig, UNet
from unet_seg.data import CarvanaDataset
from unet_seg.engine import evaluate, train_one_epoch


def get_args():
    cfg = TrainConfig()
    parser = argparse.ArgumentParser(description='Train the UNet on images and target masks')
    parser.add_argument('--epochs', '-e', type=int, default=cfg.epochs)
    parser.add_argument('--batch-size', '-b', dest='batch_size', type=int, default=cfg.batch_size)
    parser.add_argument('--learning-rate', '-l', dest='lr', type=float, default=cfg.lr)
    parser.add_argument('--scale', '-s', type=float, default=cfg.img_scale)
    parser.add_argument('--validation', '-v', dest='val', type=float, default=cfg.val_percent * 100)
    parser.add_argument('--amp', action='store_true', default=False)
    parser.add_argument('--bilinear', action='store_true', default=False)
    parser.add_argument('--classes', '-c', type=int, default=cfg.n_classes)
    return parser.parse_args()


def main():
    args = get_args()
    cfg = TrainConfig()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    model = UNet(n_channels=3, n_classes=args.classes, bilinear=args.bilinear)
    model = model.to(memory_format=torch.channels_last).to(device)

    dataset = CarvanaDataset(os.path.join(cfg.data_dir, 'imgs'), os.path.join(cfg.data_dir, 'masks'), args.scale)
    n_val = int(len(dataset) * (args.val / 100))
    n_train = len(dataset) - n_val
    train_set, val_set = random_split(dataset, [n_train, n_val], generator=torch.Generator().manual_seed(0))

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=os.cpu_count(), pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=os.cpu_count(), pin_memory=True)

    optimizer = optim.RMSprop(model.parameters(), lr=args.lr, weight_decay=cfg.weight_decay, momentum=cfg.momentum, foreach=True)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'max', patience=5)
    grad_scaler = torch.cuda.amp.GradScaler(enabled=args.amp)
    criterion = nn.CrossEntropyLoss()

    os.makedirs(cfg.checkpoint_dir, exist_ok=True)
    for epoch in range(1, args.epochs + 1):
        avg_loss = train_one_epoch(model, train_loader, optimizer, grad_scaler, criterion, device, epoch, args.amp)
        val_score = evaluate(model, val_loader, device, args.amp)
        scheduler.step(val_score)
        print(f'epoch {epoch}: train loss {avg_loss:.4f}, validation dice {val_score:.4f}')
        torch.save(model.state_dict(), os.path.join(cfg.checkpoint_dir, f'checkpoint_epoch{epoch}.pth'))


if __name__ == '__main__':
    main()
