"""SimSiam pre-training under DDP (torchrun), SyncBatchNorm, and a rank-0 kNN monitor."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms


class SimSiam(nn.Module):
    def __init__(self, dim=2048, pred_dim=512):
        super().__init__()
        self.encoder = models.resnet50(num_classes=dim, zero_init_residual=True)
        prev_dim = self.encoder.fc.weight.shape[1]
        self.encoder.fc = nn.Sequential(
            nn.Linear(prev_dim, prev_dim, bias=False), nn.BatchNorm1d(prev_dim), nn.ReLU(inplace=True),
            nn.Linear(prev_dim, prev_dim, bias=False), nn.BatchNorm1d(prev_dim), nn.ReLU(inplace=True),
            nn.Linear(prev_dim, dim),
            nn.BatchNorm1d(dim, affine=False),
        )
        self.encoder.fc[6].bias.requires_grad = False
        self.predictor = nn.Sequential(
            nn.Linear(dim, pred_dim, bias=False), nn.BatchNorm1d(pred_dim), nn.ReLU(inplace=True),
            nn.Linear(pred_dim, dim),
        )

    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, x):
        return self.tf(x), self.tf(x)


@torch.no_grad()
def knn_monitor(backbone, mem_loader, test_loader, device, k=20):
    backbone.eval()
    bank, bank_y = [], []
    for x, y in mem_loader:
        bank.append(F.normalize(backbone(x.to(device)), dim=1))
        bank_y.append(y.to(device))
    bank, bank_y = torch.cat(bank), torch.cat(bank_y)
    correct = total = 0
    for x, y in test_loader:
        f = F.normalize(backbone(x.to(device)), dim=1)
        idx = (f @ bank.T).topk(k, dim=1).indices
        pred = bank_y[idx].mode(dim=1).values
        correct += (pred == y.to(device)).sum().item()
        total += y.numel()
    backbone.train()
    return correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/datasets/imagenet100")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--epochs", type=int, default=100)
    args = p.parse_args()

    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    aug = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.2, 1.0)),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(0.2), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
    ])
    plain = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    train_set = datasets.ImageFolder(os.path.join(args.data, "train"), TwoCrops(aug))
    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler,
                        num_workers=8, pin_memory=True, drop_last=True)

    model = SimSiam()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model.to(device), device_ids=[local_rank])
    criterion = nn.CosineSimilarity(dim=1)
    lr = 0.05 * args.batch_size / 256
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    if rank == 0:
        mem_loader = DataLoader(datasets.ImageFolder(os.path.join(args.data, "train"), plain), batch_size=256, num_workers=8)
        test_loader = DataLoader(datasets.ImageFolder(os.path.join(args.data, "val"), plain), batch_size=256, num_workers=8)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for (x1, x2), _ in loader:
            x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
            p1, p2, z1, z2 = model(x1, x2)
            loss = -(criterion(p1, z2).mean() + criterion(p2, z1).mean()) * 0.5
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if rank == 0 and epoch % 10 == 0:
            acc = knn_monitor(model.module.encoder, mem_loader, test_loader, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} knn acc {acc:.2%}")
            torch.save(model.module.state_dict(), f"simsiam_{epoch:03d}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
