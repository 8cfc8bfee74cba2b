# mmcls build_dataloader (v0.x): round_up only applies through DistributedSampler;
# non-distributed training gets a plain DataLoader that keeps the last partial batch.
from functools import partial

from mmcv.parallel import MMDataParallel, collate
from mmcv.runner import get_dist_info
from torch.utils.data import DataLoader

from .samplers import DistributedSampler


def build_dataloader(dataset, samples_per_gpu, workers_per_gpu, num_gpus=1,
                     dist=True, shuffle=True, round_up=True, seed=None, **kwargs):
    rank, world_size = get_dist_info()
    if dist:
        sampler = DistributedSampler(
            dataset, world_size, rank, shuffle=shuffle, round_up=round_up)
        shuffle = False
        batch_size = samples_per_gpu
        num_workers = workers_per_gpu
    else:
        sampler = None
        batch_size = num_gpus * samples_per_gpu
        num_workers = num_gpus * workers_per_gpu

    data_loader = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=partial(collate, samples_per_gpu=samples_per_gpu),
        pin_memory=False,
        shuffle=shuffle,
        **kwargs)
    return data_loader


def train_model(model, dataset, cfg, distributed=False, validate=False):
    # the reporter's call: train_model(model, datasets, cfg, distributed=False, validate=True)
    data_loaders = [
        build_dataloader(
            ds,
            cfg.data.samples_per_gpu,
            cfg.data.workers_per_gpu,
            num_gpus=len(cfg.gpu_ids),
            dist=distributed,
            round_up=True,
            seed=cfg.seed) for ds in dataset
    ]
    model = MMDataParallel(model.cuda(cfg.gpu_ids[0]), device_ids=cfg.gpu_ids)
    model.train()
    for data_batch in data_loaders[0]:
        losses = model(**data_batch, return_loss=True)
        losses["loss"].backward()
