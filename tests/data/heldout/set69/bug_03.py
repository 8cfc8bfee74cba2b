"""BYOL pre-training with a kNN monitor, multi-GPU via torchrun.

    torchrun --nproc_per_node=8 bug_03.py --data /datasets/imagenet100 --epochs 300

The online network (encoder + projector + predictor) is trained; the target
network is an exponential moving average of the online encoder + projector.
"""
import argparse
import copy
import json
import logging
import math
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
import torchvision
import torchvision.transforms as T

LOG = logging.getLogger("byol")


class TwoViews:
    def __init__(self, size=224):
        color = T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8)
        normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        self.view1 = T.Compose([
            T.RandomResizedCrop(size, scale=(0.08, 1.0)),
            T.RandomHorizontalFlip(),
            color,
            T.RandomGrayscale(p=0.2),
            T.GaussianBlur(23, sigma=(0.1, 2.0)),
            T.ToTensor(),
            normalize,
        ])
        self.view2 = T.Compose([
            T.RandomResizedCrop(size, scale=(0.08, 1.0)),
            T.RandomHorizontalFlip(),
            color,
            T.RandomGrayscale(p=0.2),
            T.RandomApply([T.GaussianBlur(23, sigma=(0.1, 2.0))], p=0.1),
            T.RandomSolarize(128, p=0.2),
            T.ToTensor(),
            normalize,
        ])

    def __call__(self, img):
        return self.view1(img), self.view2(img)


class ProjectionMLP(nn.Module):
    def __init__(self, in_dim=512, hidden_dim=4096, out_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim, bias=False),
            nn.BatchNorm2d(hidden_dim),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, out_dim),
        )

    def forward(self, x):
        return self.net(x)


class PredictionMLP(nn.Module):
    def __init__(self, dim=256, hidden_dim=4096):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim, bias=False)
        self.bn = nn.BatchNorm1d(hidden_dim, 0.9)  # expect: BN206
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x)), inplace=True))


def resnet_encoder(arch="resnet18"):
    net = getattr(torchvision.models, arch)(weights=None)
    feat_dim = net.fc.in_features
    net.fc = nn.Identity()
    return net, feat_dim


class OnlineNetwork(nn.Module):
    def __init__(self, arch, proj_hidden, proj_dim, pred_hidden):
        super().__init__()
        self.encoder, feat_dim = resnet_encoder(arch)
        self.projector = ProjectionMLP(feat_dim, proj_hidden, proj_dim)
        self.predictor = PredictionMLP(proj_dim, pred_hidden)

    def forward(self, x):
        return self.predictor(self.projector(self.encoder(x)))


class TargetNetwork(nn.Module):
    def __init__(self, online: OnlineNetwork):
        super().__init__()
        self.encoder = copy.deepcopy(online.encoder)
        self.projector = copy.deepcopy(online.projector)

    def forward(self, x):
        return self.projector(self.encoder(x))

    @torch.no_grad()
    def update(self, online: OnlineNetwork, tau: float):
        for src, dst in ((online.encoder, self.encoder), (online.projector, self.projector)):
            for p_o, p_t in zip(src.parameters(), dst.parameters()):
                p_t.mul_(tau).add_(p_o.detach(), alpha=1.0 - tau)


def byol_loss(p, z):
    p = F.normalize(p, dim=-1)
    z = F.normalize(z, dim=-1)
    return 2.0 - 2.0 * (p * z).sum(dim=-1).mean()


def cosine_tau(step, total, base_tau=0.996):
    return 1.0 - (1.0 - base_tau) * (math.cos(math.pi * step / total) + 1.0) / 2.0


def cosine_lr(step, total, warmup, base_lr):
    if step < warmup:
        return base_lr * step / max(1, warmup)
    t = (step - warmup) / max(1, total - warmup)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * t))


@torch.no_grad()
def extract_features(net, loader, device):
    feats, labels = [], []
    for images, targets in loader:
        out = net(images.to(device, non_blocking=True))  # expect: BN101
        feats.append(F.normalize(out, dim=1))
        labels.append(targets.to(device))
    return torch.cat(feats), torch.cat(labels)


def knn_monitor(net, memory_loader, test_loader, device, k=200, temperature=0.1, num_classes=100):
    bank, bank_labels = extract_features(net, memory_loader, device)
    queries, query_labels = extract_features(net, test_loader, device)
    correct = 0
    for start in range(0, queries.size(0), 512):
        q = queries[start:start + 512]
        sim = q @ bank.t()
        w, idx = sim.topk(k, dim=1)
        neigh = bank_labels[idx]
        w = (w / temperature).exp()
        votes = torch.zeros(q.size(0), num_classes, device=device)
        votes.scatter_add_(1, neigh, w)
        correct += (votes.argmax(1) == query_labels[start:start + 512]).sum().item()
    return 100.0 * correct / queries.size(0)


def setup_distributed():
    if "RANK" in os.environ:
        dist.init_process_group("nccl")
        rank = dist.get_rank()
        world = dist.get_world_size()
        local_rank = int(os.environ["LOCAL_RANK"])
    else:
        raise SystemExit("launch with torchrun")
    torch.cuda.set_device(local_rank)
    return rank, world, local_rank


def get_args():
    ap = argparse.ArgumentParser("byol")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--warmup-epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64, help="per GPU")
    ap.add_argument("--base-lr", type=float, default=0.3)
    ap.add_argument("--wd", type=float, default=1.5e-6)
    ap.add_argument("--proj-hidden", type=int, default=4096)
    ap.add_argument("--proj-dim", type=int, default=256)
    ap.add_argument("--pred-hidden", type=int, default=4096)
    ap.add_argument("--base-tau", type=float, default=0.996)
    ap.add_argument("--sync-bn", action="store_true")
    ap.add_argument("--knn-every", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("runs/byol"))
    ap.add_argument("--workers", type=int, default=8)
    return ap.parse_args()


def main():
    args = get_args()
    rank, world, local_rank = setup_distributed()
    device = torch.device("cuda", local_rank)
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING,
                        format=f"[rank{rank}] %(asctime)s %(message)s")
    if rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "args.json").write_text(json.dumps({k: str(v) for k, v in vars(args).items()}, indent=2))

    train_set = torchvision.datasets.ImageFolder(args.data / "train", transform=TwoViews())
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=args.workers, pin_memory=True, drop_last=True)

    plain = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                       T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    memory_set = torchvision.datasets.ImageFolder(args.data / "train", transform=plain)
    test_set = torchvision.datasets.ImageFolder(args.data / "val", transform=plain)
    memory_loader = DataLoader(memory_set, batch_size=256, shuffle=False, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=256, shuffle=False, num_workers=args.workers)

    online = OnlineNetwork(args.arch, args.proj_hidden, args.proj_dim, args.pred_hidden).to(device)
    target = TargetNetwork(online).to(device)
    online = DDP(online, device_ids=[local_rank])
    if args.sync_bn:
        online = nn.SyncBatchNorm.convert_sync_batchnorm(online)  # expect: BN303
        target = nn.SyncBatchNorm.convert_sync_batchnorm(target)

    base_lr = args.base_lr * args.batch_size * world / 256
    optimizer = torch.optim.SGD(online.parameters(), lr=base_lr, momentum=0.9, weight_decay=args.wd)

    steps_per_epoch = len(train_loader)
    total_steps = args.epochs * steps_per_epoch
    warmup_steps = args.warmup_epochs * steps_per_epoch
    step = 0
    history = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        online.train()
        target.train()
        t0 = time.time()
        epoch_loss = torch.zeros((), device=device)
        for (v1, v2), _ in train_loader:
            v1 = v1.to(device, non_blocking=True)
            v2 = v2.to(device, non_blocking=True)
            lr = cosine_lr(step, total_steps, warmup_steps, base_lr)
            for g in optimizer.param_groups:
                g["lr"] = lr

            p1 = online(v1)
            p2 = online(v2)
            with torch.no_grad():
                z1 = target(v1)
                z2 = target(v2)
            loss = byol_loss(p1, z2) + byol_loss(p2, z1)

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

            tau = cosine_tau(step, total_steps, args.base_tau)
            target.update(online.module, tau)
            epoch_loss += loss.detach()
            step += 1

        dist.all_reduce(epoch_loss)
        mean_loss = epoch_loss.item() / (world * steps_per_epoch)
        row = {"epoch": epoch, "loss": mean_loss, "lr": lr, "tau": tau, "sec": time.time() - t0}
        if rank == 0 and (epoch + 1) % args.knn_every == 0:
            row["knn_top1"] = knn_monitor(online.module.encoder, memory_loader, test_loader, device)
        history.append(row)
        LOG.info(json.dumps(row))

        if rank == 0:
            torch.save({
                "epoch": epoch + 1,
                "online": online.module.state_dict(),
                "target": target.state_dict(),
                "optimizer": optimizer.state_dict(),
            }, args.out / "checkpoint.pth")
            with open(args.out / "log.jsonl", "a") as fh:
                fh.write(json.dumps(row) + "\n")

    if rank == 0:
        torch.save(online.module.encoder.state_dict(), args.out / "encoder_final.pth")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
