"""
Train a compact detector backbone with DDP and ship it: TorchScript, ONNX and a
conv-BN-ReLU fused copy for int8 quantisation are written by rank 0 at the end.

    torchrun --nproc_per_node=4 train_and_export.py --epochs 50
"""
import argparse
import copy
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1):
        super().__init__()
        self.add_module("conv", nn.Conv2d(cin, cout, k, s, k // 2, bias=False))
        self.add_module("bn", nn.BatchNorm2d(cout))
        self.add_module("relu", nn.ReLU(inplace=False))


class EdgeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1)            # plain conv with bias, no norm after it
        self.stem_act = nn.ReLU()
        self.block1 = ConvBNReLU(16, 32, s=2)
        self.block2 = ConvBNReLU(32, 64, s=2)
        self.block3 = ConvBNReLU(64, 128, s=2)
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.stem_act(self.stem(x))
        x = self.block3(self.block2(self.block1(x)))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(model, loader, device):
    model.eval()
    hit = n = 0
    with torch.no_grad():
        for x, y in loader:
            hit += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            n += len(y)
    return hit / n


def export_all(trained, out_dir, device):
    os.makedirs(out_dir, exist_ok=True)
    example = torch.randn(1, 3, 32, 32, device=device)

    deploy = copy.deepcopy(trained)
    deploy.eval()
    traced = torch.jit.trace(deploy, example)
    traced.save(os.path.join(out_dir, "edgenet_traced.pt"))
    torch.onnx.export(deploy, example, os.path.join(out_dir, "edgenet.onnx"), input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)

    to_fuse = [["block1.conv", "block1.bn", "block1.relu"], ["block2.conv", "block2.bn", "block2.relu"], ["block3.conv", "block3.bn", "block3.relu"]]
    fused = fuse_modules(copy.deepcopy(trained).cpu().eval(), to_fuse)
    torch.save(fused.state_dict(), os.path.join(out_dir, "edgenet_fused.pth"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--export-dir", default="export")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    rank = dist.get_rank()

    train_set = datasets.CIFAR10("./data", train=True, transform=transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor()]))
    test_set = datasets.CIFAR10("./data", train=False, transform=transforms.ToTensor())
    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=4, pin_memory=True)
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=4)

    model = DDP(EdgeNet().to(device), device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        if rank == 0:
            print(f"epoch {epoch}: test acc {evaluate(model.module, test_loader, device):.4f}")
        dist.barrier()

    if rank == 0:
        os.makedirs(args.export_dir, exist_ok=True)
        net = model.module.eval()
        torch.onnx.export(net, torch.randn(8, 3, 32, 32, device=device), os.path.join(args.export_dir, "edgenet_b8.onnx"), opset_version=17)
        export_all(model.module, args.export_dir, device)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
