"""Weld-seam defect network -- port of the MATLAB Deep Learning Toolbox script.

MATLAB original (abridged):
    layers = [ imageInputLayer([128 128 3])
               convolution2dLayer(3,32,'Padding','same','BiasLearnRateFactor',0) batchNormalizationLayer reluLayer
               ...
               fullyConnectedLayer(256) batchNormalizationLayer reluLayer
               fullyConnectedLayer(4) softmaxLayer classificationLayer ];
    layers(2:10) = freezeWeights(layers(2:10));
    options = trainingOptions('sgdm','MiniBatchSize',32,'ExecutionEnvironment','multi-gpu');
MATLAB splits MiniBatchSize across the GPUs, so we do the same here.
Launch: torchrun --nproc_per_node=8 bug_14.py
"""
import os
from collections import OrderedDict

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

MINI_BATCH_SIZE = 32
NUM_GPUS = 8
PER_GPU_BATCH = MINI_BATCH_SIZE // NUM_GPUS
MAX_EPOCHS = 20
INITIAL_LEARN_RATE = 0.01
FROZEN = ("conv_1", "batchnorm_1", "conv_2", "batchnorm_2", "conv_3", "batchnorm_3")


def build_layers(num_classes=4):
    return nn.Sequential(OrderedDict([
        ("conv_1", nn.Conv2d(3, 32, 3, padding=1, bias=False)),
        ("batchnorm_1", nn.BatchNorm2d(32)),
        ("relu_1", nn.ReLU()),
        ("maxpool_1", nn.MaxPool2d(2)),
        ("conv_2", nn.Conv2d(32, 64, 3, padding=1, bias=False)),
        ("batchnorm_2", nn.BatchNorm2d(64)),
        ("relu_2", nn.ReLU()),
        ("maxpool_2", nn.MaxPool2d(2)),
        ("conv_3", nn.Conv2d(64, 128, 3, padding=1, bias=False)),
        ("batchnorm_3", nn.BatchNorm2d(128)),
        ("relu_3", nn.ReLU()),
        ("maxpool_3", nn.MaxPool2d(2)),
        ("conv_4", nn.Conv2d(128, 128, 3, padding=1, bias=False)),
        ("batchnorm_4", nn.BatchNorm2d(128)),
        ("relu_4", nn.ReLU()),
        ("gap", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc_1", nn.Linear(128, 256, bias=False)),
        ("batchnorm_5", nn.BatchNorm2d(256)),  # expect: BN202
        ("relu_5", nn.ReLU()),
        ("fc_2", nn.Linear(256, num_classes)),
    ]))


def main():
    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    # imageDatastore('welds/train','IncludeSubfolders',true,'LabelSource','foldernames')
    imds = datasets.ImageFolder("welds/train", transforms.Compose([
        transforms.Resize((128, 128)), transforms.RandomHorizontalFlip(), transforms.ToTensor()]))
    sampler = DistributedSampler(imds, shuffle=True)
    loader = DataLoader(imds, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=4)  # expect: BN304

    net = build_layers(num_classes=len(imds.classes))
    net.load_state_dict(torch.load("welds_pretrained.pt", map_location="cpu"), strict=False)
    # freezeWeights(layers(2:10)): WeightLearnRateFactor = 0, BiasLearnRateFactor = 0
    for name, p in net.named_parameters():
        if name.split(".")[0] in FROZEN:
            p.requires_grad = False  # expect: BN105
    net = DistributedDataParallel(net.to(device), device_ids=[local_rank])

    optimizer = torch.optim.SGD((p for p in net.parameters() if p.requires_grad),
                                lr=INITIAL_LEARN_RATE, momentum=0.9)
    for epoch in range(1, MAX_EPOCHS + 1):
        sampler.set_epoch(epoch)
        net.train()
        iteration = 0
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            iteration += 1
            if rank == 0 and iteration % 50 == 0:
                print(f"| {epoch:5d} | {iteration:9d} | {loss.item():10.4f} |")

    if rank == 0:
        torch.save(net.module.state_dict(), "welds_net.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
