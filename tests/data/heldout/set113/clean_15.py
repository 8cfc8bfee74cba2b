"""Classificação de cenas acústicas com PyTorch Lightning.

O Lightning cuida de model.train()/model.eval() em training_step,
validation_step, test_step e predict_step — por isso não há chamadas explícitas.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, random_split
from torchmetrics.classification import MulticlassAccuracy

__all__ = ["HiperParametros", "ClassificadorCenas", "DadosCenas"]


@dataclass
class HiperParametros:
    n_mels: int = 64
    larguras: list[int] = field(default_factory=lambda: [32, 64, 128, 256])
    n_classes: int = 10
    lr: float = 1e-3
    lote: int = 32
    momento_bn: float = 0.01     # momentum do BatchNorm (convenção PyTorch)


class ClassificadorCenas(L.LightningModule):
    def __init__(self, hp: HiperParametros) -> None:
        super().__init__()
        self.save_hyperparameters(vars(hp))
        self.hp = hp
        blocos, ci = [], 1
        for co in hp.larguras:
            blocos.append(nn.Sequential(nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co, momentum=hp.momento_bn), nn.ReLU(inplace=True), nn.MaxPool2d(2)))
            ci = co
        self.extrator = nn.Sequential(*blocos, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.cabeca = nn.Linear(ci, hp.n_classes)
        self.acc_val = MulticlassAccuracy(num_classes=hp.n_classes)
        self.acc_teste = MulticlassAccuracy(num_classes=hp.n_classes)

    def forward(self, espectro: torch.Tensor) -> torch.Tensor:
        return self.cabeca(self.extrator(espectro))

    def training_step(self, lote: tuple[torch.Tensor, torch.Tensor], idx: int) -> torch.Tensor:
        x, y = lote
        perda = F.cross_entropy(self(x), y, label_smoothing=0.1)
        self.log("treino/perda", perda, prog_bar=True)
        return perda

    def validation_step(self, lote, idx: int) -> None:
        x, y = lote
        logits = self(x)
        self.acc_val.update(logits.argmax(1), y)
        self.log("val/perda", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.acc_val, on_epoch=True)

    def test_step(self, lote, idx: int) -> None:
        x, y = lote
        self.acc_teste.update(self(x).argmax(1), y)
        self.log("teste/acc", self.acc_teste, on_epoch=True)

    def predict_step(self, lote, idx: int, dataloader_idx: int = 0) -> torch.Tensor:
        x, _ = lote
        return self(x).softmax(-1)

    def configure_optimizers(self) -> Any:
        otim = torch.optim.AdamW(self.parameters(), lr=self.hp.lr, weight_decay=1e-4)
        return {"optimizer": otim, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(otim, T_max=50)}


class Espectrogramas(Dataset):
    def __init__(self, arquivo: str) -> None:
        d = torch.load(arquivo)
        self.x, self.y = d["mel"].unsqueeze(1), d["rotulo"]

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x[i], self.y[i]


class DadosCenas(L.LightningDataModule):
    def __init__(self, arquivo_treino: str, arquivo_teste: str, lote: int = 32) -> None:
        super().__init__()
        self.arquivo_treino, self.arquivo_teste, self.lote = arquivo_treino, arquivo_teste, lote

    def setup(self, stage: str | None = None) -> None:
        completo = Espectrogramas(self.arquivo_treino)
        n_val = len(completo) // 10
        self.treino, self.val = random_split(completo, [len(completo) - n_val, n_val], generator=torch.Generator().manual_seed(42))
        self.teste = Espectrogramas(self.arquivo_teste)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.treino, batch_size=self.lote, shuffle=True, num_workers=4, drop_last=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=self.lote * 4, num_workers=4)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.teste, batch_size=1, num_workers=4)

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--treino", default="cenas_treino.pt")
    ap.add_argument("--teste", default="cenas_teste.pt")
    ap.add_argument("--epocas", type=int, default=50)
    a = ap.parse_args()
    hp = HiperParametros()
    modelo = ClassificadorCenas(hp)
    dados = DadosCenas(a.treino, a.teste, hp.lote)
    trainer = L.Trainer(max_epochs=a.epocas, accelerator="auto", precision="16-mixed", log_every_n_steps=20)
    trainer.fit(modelo, datamodule=dados)
    trainer.test(modelo, datamodule=dados)
    probabilidades = torch.cat(trainer.predict(modelo, datamodule=dados))
    torch.save(probabilidades, "probabilidades_teste.pt")
