import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torch.utils.data.sampler import SubsetRandomSampler


class BaseDataLoader(DataLoader):
    def __init__(self, dataset, batch_size, shuffle, num_workers, val_split=0.0):
        self.shuffle = shuffle
        self.dataset = dataset
        self.nbr_examples = len(dataset)
        if val_split:
            self.train_sampler, self.val_sampler = self._split_sampler(val_split)
        else:
            self.train_sampler, self.val_sampler = None, None
        self.init_kwargs = {
            "dataset": self.dataset,
            "batch_size": batch_size,
            "shuffle": self.shuffle,
            "num_workers": num_workers,
            "pin_memory": True,
        }
        super().__init__(sampler=self.train_sampler, **self.init_kwargs)

    def _split_sampler(self, split):
        self.shuffle = False
        indxs = np.arange(self.nbr_examples)
        np.random.shuffle(indxs)
        split_indx = int(self.nbr_examples * split)
        return SubsetRandomSampler(indxs[split_indx:]), SubsetRandomSampler(indxs[:split_indx])


class _PSPModule(nn.Module):
    def __init__(self, in_channels, bin_sizes):
        super().__init__()
        out_channels = in_channels // len(bin_sizes)
        self.stages = nn.ModuleList([self._make_stages(in_channels, out_channels, b) for b in bin_sizes])

    def _make_stages(self, in_channels, out_channels, bin_sz):
        prior = nn.AdaptiveAvgPool2d(output_size=bin_sz)
        conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        bn = nn.BatchNorm2d(out_channels)
        return nn.Sequential(prior, conv, bn, nn.ReLU(inplace=True))

    def forward(self, features):
        h, w = features.size()[2], features.size()[3]
        pyramids = [features]
        pyramids.extend([F.interpolate(stage(features), size=(h, w), mode="bilinear", align_corners=True)
                         for stage in self.stages])
        return torch.cat(pyramids, dim=1)


class VOC(BaseDataLoader):
    def __init__(self, dataset, batch_size, num_workers=1, shuffle=False, val_split=None):
        super().__init__(dataset, batch_size, shuffle, num_workers, val_split)


# config.json: "train_loader": {"type": "VOC", "args": {"batch_size": 4, "shuffle": true, ...}}
def get_instance(module, name, config, *args):
    return getattr(module, config[name]["type"])(*args, **config[name]["args"])
