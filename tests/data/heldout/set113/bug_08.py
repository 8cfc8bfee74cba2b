# Treinamento distribuído (DDP) de uma mini U-Net para segmentação binária
# de lavouras em imagens de satélite.
#   torchrun --nproc_per_node=4 bug_08.py --dados /mnt/satelite --epocas 40
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler


@dataclass
class Config:
    dados: Path = Path("/mnt/satelite")
    epocas: int = 40
    lote_por_gpu: int = 16
    lr: float = 1e-3
    canais: tuple[int, ...] = field(default_factory=lambda: (32, 64, 128))


def cbr(ci: int, co: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class MiniUNet(nn.Module):
    def __init__(self, canais: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        a, b, c = canais
        self.enc1 = nn.Sequential(cbr(4, a), cbr(a, a))
        self.enc2 = nn.Sequential(cbr(a, b), cbr(b, b))
        self.gargalo = nn.Sequential(cbr(b, c), cbr(c, c))
        self.up2 = nn.ConvTranspose2d(c, b, 2, stride=2)
        self.dec2 = nn.Sequential(cbr(2 * b, b), cbr(b, b))
        self.up1 = nn.ConvTranspose2d(b, a, 2, stride=2)
        self.dec1 = nn.Sequential(cbr(2 * a, a), cbr(a, a))
        self.saida = nn.Conv2d(a, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        g = self.gargalo(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(g), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.saida(d1)


class Recortes(Dataset):
    """Recortes 256x256 salvos como .npz (imagem RGB+NIR, máscara)."""

    def __init__(self, raiz: Path) -> None:
        self.arquivos = sorted(raiz.glob("*.npz"))

    def __len__(self) -> int:
        return len(self.arquivos)

    def __getitem__(self, i: int):
        d = np.load(self.arquivos[i])
        return torch.from_numpy(d["img"]).float() / 255.0, torch.from_numpy(d["mask"]).float()[None]


def exportar_pesos(modelo: nn.Module, caminho: str) -> None:
    modelo.training = False  # expect: BN102
    torch.save(modelo.module.state_dict(), caminho)


def iou(logitos: torch.Tensor, alvo: torch.Tensor) -> float:
    pred = (logitos > 0).float(); inter = (pred * alvo).sum(); uniao = ((pred + alvo) > 0).float().sum()
    return (inter / uniao.clamp(min=1)).item()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dados", type=Path, default=Config.dados)
    ap.add_argument("--epocas", type=int, default=Config.epocas)
    ap.add_argument("--lote-por-gpu", type=int, default=Config.lote_por_gpu)
    cfg = Config(**{k.replace("-", "_"): v for k, v in vars(ap.parse_args()).items()})

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"]); torch.cuda.set_device(local_rank)

    modelo = MiniUNet(cfg.canais).cuda(local_rank)
    modelo = DDP(modelo, device_ids=[local_rank])
    modelo = nn.SyncBatchNorm.convert_sync_batchnorm(modelo)  # expect: BN303

    treino = Recortes(cfg.dados / "treino"); val = Recortes(cfg.dados / "val")
    amostrador = DistributedSampler(treino, shuffle=True)
    loader = DataLoader(treino, batch_size=cfg.lote_por_gpu, sampler=amostrador, num_workers=4, pin_memory=True, drop_last=True)
    loader_val = DataLoader(val, batch_size=cfg.lote_por_gpu, sampler=DistributedSampler(val, shuffle=False), num_workers=4)

    otim = torch.optim.AdamW(modelo.parameters(), lr=cfg.lr * dist.get_world_size())
    criterio = nn.BCEWithLogitsLoss()

    for epoca in range(cfg.epocas):
        amostrador.set_epoch(epoca)
        modelo.train()
        for img, mascara in loader:
            img, mascara = img.cuda(non_blocking=True), mascara.cuda(non_blocking=True)
            otim.zero_grad(set_to_none=True)
            perda = criterio(modelo(img), mascara)
            perda.backward()
            otim.step()

        modelo.eval()
        with torch.no_grad():
            ious = [iou(modelo(img.cuda()), m.cuda()) for img, m in loader_val]
        media = torch.tensor(sum(ious) / max(len(ious), 1), device="cuda")
        dist.all_reduce(media, op=dist.ReduceOp.AVG)
        if (rank := dist.get_rank()) == 0:
            print(f"época {epoca:02d}  perda {perda.item():.4f}  IoU val {media.item():.4f}")

    if dist.get_rank() == 0:
        exportar_pesos(modelo, "mini_unet.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
