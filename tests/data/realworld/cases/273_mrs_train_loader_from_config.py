# mrs train.py before PR #34: the training loader keeps the last partial batch
# (batch size from the JSON config, no drop_last); models use BatchNorm in train mode.
import argparse
import json

import torch
from torch import nn, optim
from torch.utils.data import DataLoader

from data import data_loader
from network import network_io

CONFIG_FILE = 'config.json'


def read_config():
    parser = argparse.ArgumentParser()
    parser.add_argument('--config', default=CONFIG_FILE, type=str, help='config file location')
    flags = parser.parse_args()
    return json.load(open(flags.config))


def train_model(args, device):
    model = network_io.create_model(args)       # e.g. PSPNet / DeepLabV3 decoder with BN
    optm = optim.SGD(model.parameters(), lr=args['optimizer']['learn_rate_encoder'],
                     momentum=0.9, weight_decay=5e-4)
    criterions = network_io.create_loss(args, device=device)
    model.to(device)

    train_loader = DataLoader(data_loader.get_loader(
        args['dataset']['data_dir'], args['dataset']['train_file'], transforms=None),
        batch_size=args['dataset']['batch_size'], shuffle=True, num_workers=args['dataset']['num_workers'])
    valid_loader = DataLoader(data_loader.get_loader(
        args['dataset']['data_dir'], args['dataset']['valid_file'], transforms=None),
        batch_size=args['dataset']['batch_size'], shuffle=False, num_workers=args['dataset']['num_workers'])
    loaders = {'train': train_loader, 'valid': valid_loader}

    for epoch in range(args['trainer']['epochs']):
        for phase in ['train', 'valid']:
            if phase == 'train':
                model.train()
            else:
                model.eval()
            for image, label in loaders[phase]:
                image, label = image.to(device), label.to(device)
                with torch.set_grad_enabled(phase == 'train'):
                    pred = model(image)
                    loss = criterions[0](pred, label)
                if phase == 'train':
                    optm.zero_grad()
                    loss.backward()
                    optm.step()


def main():
    cfg = read_config()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    train_model(cfg, device)


if __name__ == '__main__':
    main()
