#!/usr/bin/env python
"""
FCOS training script (plain loop, DDP).

    torchrun --nproc_per_node=8 train_net.py
"""
import logging
import os
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from d2lite.config import get_cfg
from d2lite.data import COCODetection, trivial_batch_collator
from d2lite.evaluation import COCOEvaluator
from d2lite.modeling import build_model

logger = logging.getLogger("d2lite")


def build_optimizer(cfg, model):
    params = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        wd = 0.0 if name.endswith(".bias") or ".norm." in name else cfg["SOLVER"]["WEIGHT_DECAY"]
        params.append({"params": [p], "weight_decay": wd})
    return torch.optim.SGD(params, lr=cfg["SOLVER"]["BASE_LR"], momentum=cfg["SOLVER"]["MOMENTUM"])


def do_test(cfg, model):
    was_training = model.training
    model.eval()
    results = {}
    for name in cfg["DATASETS"]["TEST"]:
        dataset = COCODetection(name, is_train=False)
        loader = DataLoader(dataset, batch_size=1, num_workers=cfg["DATALOADER"]["NUM_WORKERS"],
                            collate_fn=trivial_batch_collator)
        evaluator = COCOEvaluator(name, distributed=True)
        evaluator.reset()
        with torch.no_grad():
            for inputs in loader:
                evaluator.process(inputs, model(inputs))
        results[name] = evaluator.evaluate()
    model.train(was_training)
    return results


def do_train(cfg, model, data_loader, sampler):
    model.train()
    optimizer = build_optimizer(cfg, model)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg["SOLVER"]["STEPS"]), 0.1)
    max_iter = cfg["SOLVER"]["MAX_ITER"]
    warmup = cfg["SOLVER"]["WARMUP_ITERS"]
    epoch, it = 0, 0
    while it < max_iter:
        sampler.set_epoch(epoch)
        for data in data_loader:
            if it < warmup:
                for g in optimizer.param_groups:
                    g["lr"] = cfg["SOLVER"]["BASE_LR"] * (0.001 + 0.999 * it / warmup)
            start = time.perf_counter()
            loss_dict = model(data)
            losses = sum(loss_dict.values())
            optimizer.zero_grad()
            losses.backward()
            optimizer.step()
            scheduler.step()
            it += 1
            if dist.get_rank() == 0 and it % 20 == 0:
                logger.info("iter %d: %s (%.3fs/it)", it, {k: round(v.item(), 3) for k, v in loss_dict.items()},
                            time.perf_counter() - start)
            if it % cfg["SOLVER"]["CHECKPOINT_PERIOD"] == 0:
                if dist.get_rank() == 0:
                    torch.save(model.module.state_dict(), os.path.join(cfg["OUTPUT_DIR"], f"model_{it:07d}.pth"))
                do_test(cfg, model)
            if it >= max_iter:
                break
        epoch += 1


def main():
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group("nccl")
    torch.cuda.set_device(local_rank)
    cfg = get_cfg()
    logging.basicConfig(level=logging.INFO if dist.get_rank() == 0 else logging.WARNING)
    os.makedirs(cfg["OUTPUT_DIR"], exist_ok=True)

    model = build_model(cfg)
    model = DistributedDataParallel(model, device_ids=[local_rank], broadcast_buffers=False)

    dataset = COCODetection(cfg["DATASETS"]["TRAIN"][0], is_train=True)
    sampler = DistributedSampler(dataset, shuffle=True)
    data_loader = DataLoader(dataset, batch_size=cfg["DATALOADER"]["IMS_PER_GPU"], sampler=sampler,
                             num_workers=cfg["DATALOADER"]["NUM_WORKERS"], collate_fn=trivial_batch_collator,
                             drop_last=True)
    do_train(cfg, model, data_loader, sampler)
    results = do_test(cfg, model)
    if dist.get_rank() == 0:
        logger.info("final results: %s", results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
