import argparse

import torch
import torch.nn as nn

from config import cfg
from dataset import TrainDataset
from models import ModelBuilder, SegmentationModule


# train one epoch
def train(segmentation_module, iterator, optimizers, epoch, cfg):
    # fix_bn keeps the pretrained BatchNorm statistics (the ResNet encoder has no dropout)
    segmentation_module.train(not cfg.TRAIN.fix_bn)
    for i in range(cfg.TRAIN.epoch_iters):
        batch_data = next(iterator)
        segmentation_module.zero_grad()
        loss, acc = segmentation_module(batch_data)
        loss = loss.mean()
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()


def main(cfg):
    net_encoder = ModelBuilder.build_encoder(arch=cfg.MODEL.arch_encoder.lower(), fc_dim=cfg.MODEL.fc_dim,
                                             weights=cfg.MODEL.weights_encoder)
    net_decoder = ModelBuilder.build_decoder(arch=cfg.MODEL.arch_decoder.lower(), fc_dim=cfg.MODEL.fc_dim,
                                             num_class=cfg.DATASET.num_class, weights=cfg.MODEL.weights_decoder)
    crit = nn.NLLLoss(ignore_index=-1)
    segmentation_module = SegmentationModule(net_encoder, net_decoder, crit)
    dataset_train = TrainDataset(cfg.DATASET.root_dataset, cfg.DATASET.list_train, cfg.DATASET,
                                 batch_per_gpu=cfg.TRAIN.batch_size_per_gpu)
    loader_train = torch.utils.data.DataLoader(dataset_train, batch_size=1, shuffle=False, drop_last=True)
    iterator_train = iter(loader_train)
    optimizers = (torch.optim.SGD(net_encoder.parameters(), lr=cfg.TRAIN.lr_encoder, momentum=0.9),
                  torch.optim.SGD(net_decoder.parameters(), lr=cfg.TRAIN.lr_decoder, momentum=0.9))
    for epoch in range(cfg.TRAIN.start_epoch, cfg.TRAIN.num_epoch):
        train(segmentation_module, iterator_train, optimizers, epoch + 1, cfg)
        torch.save(net_encoder.state_dict(), "{}/encoder_epoch_{}.pth".format(cfg.DIR, epoch + 1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="PyTorch Semantic Segmentation Training")
    parser.add_argument("--cfg", default="config/ade20k-resnet50dilated-ppm_deepsup.yaml", type=str)
    args = parser.parse_args()
    cfg.merge_from_file(args.cfg)
    main(cfg)
