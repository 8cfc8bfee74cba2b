#!/usr/bin/env python
"""
Plain training loop for the CenterNet-lite detector, in the spirit of
detectron2's tools/plain_train_net.py: no Trainer abstraction, periodic
evaluation, simple checkpointing.
"""
import argparse
import logging
import os
import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from centernet_data import CocoCenterNetDataset, trivial_batch_collator, COCOEvaluator

logger = logging.getLogger("centernet")


def conv_bn_relu(in_ch, out_ch, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class CenterNetLite(nn.Module):
    def __init__(self, num_classes=80, head_ch=64):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn_relu(3, 32, 2), conv_bn_relu(32, 64, 2),
            conv_bn_relu(64, 128, 2), conv_bn_relu(128, 256, 2),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
        )
        self.heatmap = nn.Sequential(nn.Conv2d(128, head_ch, 3, padding=1), nn.ReLU(inplace=True),
                                     nn.Conv2d(head_ch, num_classes, 1))
        self.wh = nn.Sequential(nn.Conv2d(128, head_ch, 3, padding=1), nn.ReLU(inplace=True),
                                nn.Conv2d(head_ch, 2, 1))
        self.heatmap[-1].bias.data.fill_(-2.19)

    def forward(self, batched_inputs):
        images = torch.stack([x["image"] for x in batched_inputs]).float() / 255.0
        feat = self.up(self.backbone(images))
        hm, wh = self.heatmap(feat), self.wh(feat)
        if "heatmap" in batched_inputs[0]:
            gt_hm = torch.stack([x["heatmap"] for x in batched_inputs])
            gt_wh = torch.stack([x["wh"] for x in batched_inputs])
            mask = gt_hm.max(dim=1, keepdim=True)[0].eq(1).float()
            return {
                "loss_hm": F.binary_cross_entropy_with_logits(hm, gt_hm),
                "loss_wh": 0.1 * (F.l1_loss(wh, gt_wh, reduction="none") * mask).sum() / mask.sum().clamp(min=1),
            }
        return [{"heatmap": h.sigmoid(), "wh": w} for h, w in zip(hm, wh)]


def inference_on_dataset(model, data_loader, evaluator):
    evaluator.reset()
    start = time.perf_counter()
    with torch.no_grad():
        for idx, inputs in enumerate(data_loader):
            outputs = model(inputs)
            evaluator.process(inputs, outputs)
    logger.info("Inference done in %.1fs", time.perf_counter() - start)
    return evaluator.evaluate()


def do_test(args, model):
    model.eval()
    results = OrderedDict()
    for dataset_name in args.test_datasets:
        dataset = CocoCenterNetDataset(args.data_root, dataset_name, is_train=False)
        data_loader = DataLoader(dataset, batch_size=1, num_workers=args.num_workers,
                                 collate_fn=trivial_batch_collator)
        evaluator = COCOEvaluator(dataset_name, output_dir=os.path.join(args.output_dir, "inference"))
        results[dataset_name] = inference_on_dataset(model, data_loader, evaluator)
        logger.info("Evaluation results for %s: %s", dataset_name, results[dataset_name])
    return results


def do_train(args, model, data_loader):
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.base_lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=args.steps, gamma=0.1)

    start_iter, max_iter = 0, args.max_iter
    logger.info("Starting training from iteration %d", start_iter)
    data_iter = iter(data_loader)
    for iteration in range(start_iter, max_iter):
        try:
            data = next(data_iter)
        except StopIteration:
            data_iter = iter(data_loader)
            data = next(data_iter)

        loss_dict = model(data)
        losses = sum(loss_dict.values())
        assert torch.isfinite(losses).all(), loss_dict

        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        scheduler.step()

        if iteration % 20 == 0:
            logger.info("iter %d: %s lr=%.5f", iteration,
                        {k: round(v.item(), 4) for k, v in loss_dict.items()},
                        optimizer.param_groups[0]["lr"])

        if args.eval_period > 0 and (iteration + 1) % args.eval_period == 0 and iteration != max_iter - 1:
            do_test(args, model)  # expect: BN103

        if (iteration + 1) % args.checkpoint_period == 0:
            torch.save({"model": model.state_dict(), "iteration": iteration},
                       os.path.join(args.output_dir, f"model_{iteration:07d}.pth"))


def parse_args():
    parser = argparse.ArgumentParser("CenterNet-lite plain training")
    parser.add_argument("--data-root", default="datasets/coco")
    parser.add_argument("--train-dataset", default="coco_2017_train")
    parser.add_argument("--test-datasets", nargs="+", default=["coco_2017_val"])
    parser.add_argument("--output-dir", default="output/centernet_lite")
    parser.add_argument("--ims-per-batch", type=int, default=2)
    parser.add_argument("--num-workers", type=int, default=4)
    parser.add_argument("--base-lr", type=float, default=0.0025)
    parser.add_argument("--max-iter", type=int, default=90000)
    parser.add_argument("--steps", type=int, nargs="+", default=[60000, 80000])
    parser.add_argument("--eval-period", type=int, default=5000)
    parser.add_argument("--checkpoint-period", type=int, default=5000)
    parser.add_argument("--eval-only", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO)
    os.makedirs(args.output_dir, exist_ok=True)

    model = CenterNetLite(num_classes=80)
    if args.eval_only:
        return do_test(args, model)

    train_set = CocoCenterNetDataset(args.data_root, args.train_dataset, is_train=True)
    train_loader = DataLoader(train_set, batch_size=args.ims_per_batch, shuffle=True, num_workers=args.num_workers, collate_fn=trivial_batch_collator)  # expect: BN301
    do_train(args, model, train_loader)
    return do_test(args, model)


if __name__ == "__main__":
    main()
