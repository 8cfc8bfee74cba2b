"""MoCo v3 (ResNet-50) pre-training, one process per GPU.

Momentum encoder is updated by EMA and run under no_grad in train mode; the
projection/prediction MLPs use SyncBN (converted before wrapping in DDP).
"""
import argparse
import math
import os
from functools import partial

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision.datasets as datasets
import torchvision.models as torchvision_models
import torchvision.transforms as transforms


class MoCo(nn.Module):
    def __init__(self, base_encoder, dim=256, mlp_dim=4096, T=1.0):
        super().__init__()
        self.T = T
        self.base_encoder = base_encoder(num_classes=mlp_dim)
        self.momentum_encoder = base_encoder(num_classes=mlp_dim)
        self._build_projector_and_predictor_mlps(dim, mlp_dim)
        for param_b, param_m in zip(self.base_encoder.parameters(), self.momentum_encoder.parameters()):
            param_m.data.copy_(param_b.data)

    def _build_mlp(self, num_layers, input_dim, mlp_dim, output_dim, last_bn=True):
        mlp = []
        for l in range(num_layers):
            dim1 = input_dim if l == 0 else mlp_dim
            dim2 = output_dim if l == num_layers - 1 else mlp_dim
            mlp.append(nn.Linear(dim1, dim2, bias=False))
            if l < num_layers - 1:
                mlp.append(nn.BatchNorm1d(dim2))
                mlp.append(nn.ReLU(inplace=True))
            elif last_bn:
                # no affine in the last BN, following SimCLR
                mlp.append(nn.BatchNorm1d(dim2, affine=False))
        return nn.Sequential(*mlp)

    def _build_projector_and_predictor_mlps(self, dim, mlp_dim):
        hidden_dim = self.base_encoder.fc.weight.shape[1]
        del self.base_encoder.fc, self.momentum_encoder.fc
        self.base_encoder.fc = self._build_mlp(2, hidden_dim, mlp_dim, dim)
        self.momentum_encoder.fc = self._build_mlp(2, hidden_dim, mlp_dim, dim)
        self.predictor = self._build_mlp(2, dim, mlp_dim, dim, False)

    @torch.no_grad()
    def _update_momentum_encoder(self, m):
        for param_b, param_m in zip(self.base_encoder.parameters(), self.momentum_encoder.parameters()):
            param_m.data = param_m.data * m + param_b.data * (1.0 - m)

    def contrastive_loss(self, q, k):
        q = F.normalize(q, dim=1)
        k = F.normalize(k, dim=1)
        k = concat_all_gather(k)
        logits = torch.einsum("nc,mc->nm", [q, k]) / self.T
        N = logits.shape[0]
        labels = (torch.arange(N, dtype=torch.long) + N * torch.distributed.get_rank()).cuda()
        return nn.CrossEntropyLoss()(logits, labels) * (2 * self.T)

    def forward(self, x1, x2, m):
        q1 = self.predictor(self.base_encoder(x1))
        q2 = self.predictor(self.base_encoder(x2))
        with torch.no_grad():
            self._update_momentum_encoder(m)
            k1 = self.momentum_encoder(x1)
            k2 = self.momentum_encoder(x2)
        return self.contrastive_loss(q1, k2) + self.contrastive_loss(q2, k1)


@torch.no_grad()
def concat_all_gather(tensor):
    tensors_gather = [torch.ones_like(tensor) for _ in range(torch.distributed.get_world_size())]
    torch.distributed.all_gather(tensors_gather, tensor, async_op=False)
    return torch.cat(tensors_gather, dim=0)


class TwoCropsTransform:
    def __init__(self, t1, t2):
        self.t1, self.t2 = t1, t2

    def __call__(self, x):
        return [self.t1(x), self.t2(x)]


def adjust_moco_momentum(epoch, args):
    return 1.0 - 0.5 * (1.0 + math.cos(math.pi * epoch / args.epochs)) * (1.0 - args.moco_m)


def main():
    parser = argparse.ArgumentParser(description="MoCo v3 ImageNet pre-training")
    parser.add_argument("data")
    parser.add_argument("--epochs", default=100, type=int)
    parser.add_argument("-b", "--batch-size", default=4096, type=int, help="total over all GPUs")
    parser.add_argument("--lr", default=0.6, type=float)
    parser.add_argument("--wd", default=1e-6, type=float)
    parser.add_argument("--moco-m", default=0.99, type=float, help="momentum of the EMA encoder")
    parser.add_argument("--moco-t", default=1.0, type=float)
    parser.add_argument("--workers", default=32, type=int)
    args = parser.parse_args()

    dist.init_process_group("nccl")
    gpu = int(os.environ["LOCAL_RANK"])
    world_size = dist.get_world_size()
    torch.cuda.set_device(gpu)

    model = MoCo(partial(torchvision_models.resnet50, zero_init_residual=True), 256, 4096, args.moco_t)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.cuda(gpu)
    model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[gpu])

    per_gpu_batch = args.batch_size // world_size
    lr = args.lr * args.batch_size / 256
    params = [p for n, p in model.named_parameters() if "momentum_encoder" not in n]
    optimizer = torch.optim.SGD(params, lr, momentum=0.9, weight_decay=args.wd)

    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    aug = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.08, 1.0)),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
        transforms.RandomApply([transforms.GaussianBlur(23, (0.1, 2.0))], p=0.5),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
    train_dataset = datasets.ImageFolder(os.path.join(args.data, "train"), TwoCropsTransform(aug, aug))
    sampler = torch.utils.data.distributed.DistributedSampler(train_dataset)
    loader = torch.utils.data.DataLoader(train_dataset, batch_size=per_gpu_batch, sampler=sampler,
                                         num_workers=args.workers, pin_memory=True, drop_last=True)

    iters_per_epoch = len(loader)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for i, (images, _) in enumerate(loader):
            it = epoch + i / iters_per_epoch
            for g in optimizer.param_groups:
                g["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * it / args.epochs))
            m = adjust_moco_momentum(it, args)
            loss = model(images[0].cuda(gpu, non_blocking=True), images[1].cuda(gpu, non_blocking=True), m)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if i % 100 == 0 and dist.get_rank() == 0:
                print(f"epoch {epoch} [{i}/{iters_per_epoch}] loss {loss.item():.4f} m {m:.4f}")
        if dist.get_rank() == 0:
            torch.save({"epoch": epoch + 1, "state_dict": model.state_dict(),
                        "optimizer": optimizer.state_dict()}, "checkpoint_last.pth.tar")


if __name__ == "__main__":
    main()
