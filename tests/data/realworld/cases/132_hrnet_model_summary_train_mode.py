import argparse
import os
from collections import namedtuple

import torch
import torch.nn as nn

import models
from config import cfg, update_config
from core.function import train, validate


def get_model_summary(model, *input_tensors, item_length=26, verbose=False):
    summary = []
    ModuleDetails = namedtuple("Layer", ["name", "input_size", "output_size", "num_parameters"])
    hooks = []

    def add_hooks(module):
        def hook(module, input, output):
            params = sum(p.numel() for p in module.parameters(recurse=False))
            summary.append(ModuleDetails(name=module.__class__.__name__, input_size=list(input[0].size()),
                                         output_size=list(output.size()), num_parameters=params))
        if not isinstance(module, (nn.ModuleList, nn.Sequential)) and module != model:
            hooks.append(module.register_forward_hook(hook))

    model.apply(add_hooks)
    model(*input_tensors)
    for hook in hooks:
        hook.remove()
    details = "Total Parameters: {:,}".format(sum(layer.num_parameters for layer in summary))
    return details + os.linesep + "Number of Layers: {}".format(len(summary))


def main():
    parser = argparse.ArgumentParser(description="Train keypoints network")
    parser.add_argument("--cfg", required=True, type=str)
    args = parser.parse_args()
    update_config(cfg, args)
    model = eval("models." + cfg.MODEL.NAME + ".get_pose_net")(cfg, is_train=True)
    dump_input = torch.rand((1, 3, cfg.MODEL.IMAGE_SIZE[1], cfg.MODEL.IMAGE_SIZE[0]))
    print(get_model_summary(model, dump_input))
    model = torch.nn.DataParallel(model, device_ids=cfg.GPUS).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.TRAIN.LR)
    criterion = nn.MSELoss().cuda()
    for epoch in range(cfg.TRAIN.BEGIN_EPOCH, cfg.TRAIN.END_EPOCH):
        train(cfg, cfg.train_loader, model, criterion, optimizer, epoch)
        validate(cfg, cfg.valid_loader, model, criterion)


if __name__ == "__main__":
    main()
