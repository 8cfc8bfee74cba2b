"""
CelebA 40-attribute classifier, DDP + gradient accumulation + resumable checkpoints.

    torchrun --nproc_per_node=4 celeba_attrs.py
"""
import os
from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms


@dataclass
class TrainingArguments:
    data_dir: str = "./celeba"
    output_dir: str = "./celeba_ckpt"
    per_device_train_batch_size: int = 32
    per_device_eval_batch_size: int = 128
    gradient_accumulation_steps: int = 2
    num_train_epochs: int = 20
    learning_rate: float = 1e-3
    warmup_steps: int = 500
    resume: bool = True


def residual_stage(cin, cout, stride, norm_layer=nn.BatchNorm2d):
    return nn.Sequential(OrderedDict([
        ("conv_a", nn.Conv2d(cin, cout, 3, stride, 1, bias=False)),
        ("norm_a", norm_layer(cout)),
        ("act_a", nn.ReLU(inplace=True)),
        ("conv_b", nn.Conv2d(cout, cout, 3, 1, 1, bias=False)),
        ("norm_b", norm_layer(cout)),
        ("act_b", nn.ReLU(inplace=True)),
    ]))


class AttrNet(nn.Module):
    def __init__(self, n_attrs=40, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 32, 5, 2, 2, bias=False)),
            ("norm", norm_layer(32)),
            ("act", nn.ReLU(inplace=True)),
        ]))
        self.stage1 = residual_stage(32, 64, 2, norm_layer)
        self.stage2 = residual_stage(64, 128, 2, norm_layer)
        self.stage3 = residual_stage(128, 256, 2, norm_layer)
        self.out = nn.Linear(256, n_attrs)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.out(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


@torch.inference_mode()
def predict(model, loader, device):
    model.train(mode=False)
    probs, targets = [], []
    for x, y in loader:
        probs.append(torch.sigmoid(model(x.to(device))))
        targets.append(y.to(device))
    return torch.cat(probs), torch.cat(targets)


def save_checkpoint(path, model, optimizer, scheduler, epoch, best):
    torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "epoch": epoch, "best": best}, path)


def main(args: TrainingArguments):
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    tf = transforms.Compose([transforms.CenterCrop(178), transforms.Resize(128), transforms.ToTensor()])
    train_set = datasets.CelebA(args.data_dir, split="train", target_type="attr", transform=tf)
    val_set = datasets.CelebA(args.data_dir, split="valid", target_type="attr", transform=tf)
    train_sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=args.per_device_train_batch_size, sampler=train_sampler, num_workers=8, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=args.per_device_eval_batch_size, sampler=DistributedSampler(val_set, shuffle=False), num_workers=8)

    model = DistributedDataParallel(AttrNet().to(device), device_ids=[local_rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.05)
    total_steps = args.num_train_epochs * len(train_loader) // args.gradient_accumulation_steps
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.learning_rate, total_steps=total_steps, pct_start=args.warmup_steps / total_steps)

    os.makedirs(args.output_dir, exist_ok=True)
    last_ckpt = os.path.join(args.output_dir, "last.pt")
    start_epoch, best = 0, 0.0
    if args.resume and os.path.exists(last_ckpt):
        state = torch.load(last_ckpt, map_location=device)
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best = state["epoch"] + 1, state["best"]

    for epoch in range(start_epoch, args.num_train_epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.float().to(device, non_blocking=True)
            sync_now = (step + 1) % args.gradient_accumulation_steps == 0
            if sync_now:
                loss = F.binary_cross_entropy_with_logits(model(x), y) / args.gradient_accumulation_steps
                loss.backward()
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            else:
                with model.no_sync():
                    loss = F.binary_cross_entropy_with_logits(model(x), y) / args.gradient_accumulation_steps
                    loss.backward()

        probs, targets = predict(model, val_loader, device)
        acc = ((probs > 0.5).float() == targets.float()).float().mean()
        dist.all_reduce(acc)
        acc = acc.item() / world
        if rank == 0:
            print(f"epoch {epoch}: mean attribute acc {acc:.4f}")
            if acc > best:
                best = acc
                torch.save(model.module.state_dict(), os.path.join(args.output_dir, "best.pt"))
            save_checkpoint(last_ckpt, model, optimizer, scheduler, epoch, best)

    dist.destroy_process_group()


if __name__ == "__main__":
    main(TrainingArguments())
