# Treino distribuído (DDP + SyncBatchNorm) de um classificador de raios-X de tórax.
#   torchrun --nproc_per_node=4 clean_08.py --raiz /dados/rx --lote-por-gpu 32
#
# Ordem correta: converter para SyncBatchNorm ANTES de embrulhar no DDP.
from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms as T

if TYPE_CHECKING:
    from torch.optim import Optimizer

__all__ = ["RedeRX", "main"]


def bloco(ci: int, co: int, passo: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(ci, co, 3, passo, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class RedeRX(nn.Module):
    def __init__(self, n_classes: int = 3, larguras: tuple[int, ...] = (32, 64, 128, 256)) -> None:
        super().__init__()
        camadas, ci = [], 1
        for co in larguras:
            camadas += [bloco(ci, co, 2), bloco(co, co)]; ci = co
        self.corpo = nn.Sequential(*camadas)
        self.cabeca = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(ci, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cabeca(self.corpo(x))


def argumentos() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--raiz", default="/dados/rx")
    ap.add_argument("--lote-por-gpu", type=int, default=32)
    ap.add_argument("--epocas", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.1)
    return ap.parse_args()


def treinar_epoca(modelo: nn.Module, loader: DataLoader, otim: "Optimizer", local_rank: int) -> float:
    modelo.train(); soma = torch.zeros(2, device=local_rank)
    for x, y in loader:
        x, y = x.cuda(local_rank, non_blocking=True), y.cuda(local_rank, non_blocking=True)
        otim.zero_grad(set_to_none=True); perda = F.cross_entropy(modelo(x), y); perda.backward(); otim.step()
        soma += torch.stack([perda.detach() * len(y), torch.tensor(float(len(y)), device=local_rank)])
    dist.all_reduce(soma)
    return (soma[0] / soma[1]).item()


@torch.no_grad()
def validar(modelo: nn.Module, loader: DataLoader, local_rank: int) -> float:
    modelo.eval(); c = torch.zeros(2, device=local_rank)
    for x, y in loader:
        pred = modelo(x.cuda(local_rank)).argmax(1)
        c += torch.stack([(pred == y.cuda(local_rank)).sum().float(), torch.tensor(float(len(y)), device=local_rank)])
    dist.all_reduce(c)
    return (c[0] / c[1]).item()


def main() -> None:
    a = argumentos()
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"]); torch.cuda.set_device(local_rank)
    eh_mestre = dist.get_rank() == 0

    modelo = RedeRX()
    modelo = nn.SyncBatchNorm.convert_sync_batchnorm(modelo)
    modelo = DDP(modelo.cuda(local_rank), device_ids=[local_rank])

    tf_treino = T.Compose([T.Grayscale(), T.RandomResizedCrop(224, scale=(0.8, 1.0)), T.RandomRotation(7), T.ToTensor()])
    tf_val = T.Compose([T.Grayscale(), T.Resize(256), T.CenterCrop(224), T.ToTensor()])
    ds_treino = datasets.ImageFolder(os.path.join(a.raiz, "treino"), tf_treino)
    ds_val = datasets.ImageFolder(os.path.join(a.raiz, "val"), tf_val)
    amostrador = DistributedSampler(ds_treino, shuffle=True, drop_last=True)
    loader = DataLoader(ds_treino, batch_size=a.lote_por_gpu, sampler=amostrador, num_workers=6, pin_memory=True, drop_last=True)
    loader_val = DataLoader(ds_val, batch_size=64, sampler=DistributedSampler(ds_val, shuffle=False), num_workers=6)

    otim = torch.optim.SGD(modelo.parameters(), lr=a.lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(otim, T_max=a.epocas)
    melhor = 0.0
    for epoca in range(a.epocas):
        amostrador.set_epoch(epoca); t0 = time.time()
        perda = treinar_epoca(modelo, loader, otim, local_rank); sched.step()
        if (acc := validar(modelo, loader_val, local_rank)) > melhor and eh_mestre:
            melhor = acc; torch.save(modelo.module.state_dict(), "rx_melhor.pt")
        if eh_mestre:
            print(f"época {epoca:02d} | perda {perda:.4f} | acc {acc:.4f} | {time.time() - t0:.0f}s")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
