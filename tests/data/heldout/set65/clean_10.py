# Human activity recognition (UCI-HAR style windows) with a 1D CNN, multi-GPU.
# torchrun --nproc_per_node=4 train_har.py
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

CFG = {
    "batch_size": 32,
    "eval_batch_size": 256,
    "epochs": 30,
    "lr": 2e-3,
    "channels": 9,
    "window": 128,
    "n_classes": 6,
}


class HARNet(nn.Module):
    def __init__(self, in_ch=CFG["channels"], n_classes=CFG["n_classes"]):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(in_ch, 64, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
            nn.Conv1d(128, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(128, n_classes),
        )

    def forward(self, x):
        return self.net(x)


def evaluate(model, loader, device):
    model.eval()
    hits = torch.zeros(2, device=device)
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            pred = model(x).argmax(dim=1)
            hits[0] += (pred == y).sum()
            hits[1] += y.numel()
    dist.all_reduce(hits)
    return (hits[0] / hits[1]).item()


def main():
    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    # windows of 9 inertial channels x 128 time steps
    X_train = torch.randn(7352, CFG["channels"], CFG["window"])
    y_train = torch.randint(0, CFG["n_classes"], (7352,))
    X_test = torch.randn(2947, CFG["channels"], CFG["window"])
    y_test = torch.randint(0, CFG["n_classes"], (2947,))
    train_ds = TensorDataset(X_train, y_train)
    test_ds = TensorDataset(X_test, y_test)
    train_sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=CFG["batch_size"], sampler=train_sampler, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=CFG["eval_batch_size"], sampler=DistributedSampler(test_ds, shuffle=False))

    model = HARNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank])

    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)

    for epoch in range(CFG["epochs"]):
        model.train()
        train_sampler.set_epoch(epoch)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(model, test_loader, device)
        if rank == 0:
            print(f"epoch {epoch:02d} loss {loss.item():.4f} test acc {acc:.4f}")

    if rank == 0:
        net = model.module
        net.eval()
        example = torch.randn(1, CFG["channels"], CFG["window"], device=device)
        torch.onnx.export(net, example, "har_cnn.onnx", input_names=["x"], output_names=["logits"])
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
