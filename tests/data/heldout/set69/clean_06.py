"""LeViT-style hybrid classifier trained with PyTorch Lightning.

BatchNorm is used throughout (conv stem, Linear+BN on token sequences,
BN before the classifier) so that all norms can be folded into the
preceding linear layers for fast inference.

    python clean_06.py fit --data /data/flowers102
    python clean_06.py export --ckpt runs/levit/best.ckpt
"""
import argparse
import json
import os
import sys

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T

CONFIG = {
    "img_size": 224,
    "num_classes": 102,
    "embed_dim": 256,
    "key_dim": 32,
    "heads": 8,
    "depth": 6,
    "mlp_ratio": 2,
    "batch_size": 128,
    "lr": 2e-3,
    "weight_decay": 0.025,
    "epochs": 150,
    "out": "runs/levit",
}


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=2):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
            nn.BatchNorm2d(cout),
        )


class LinearBN(nn.Module):
    """Linear on a (B, N, C) token tensor followed by BatchNorm over the channel axis."""

    def __init__(self, cin, cout, bn_weight_init=1.0):
        super().__init__()
        self.linear = nn.Linear(cin, cout, bias=False)
        self.bn = nn.BatchNorm1d(cout)
        nn.init.constant_(self.bn.weight, bn_weight_init)
        nn.init.zeros_(self.bn.bias)

    def forward(self, x):
        x = self.linear(x)
        return self.bn(x.flatten(0, 1)).reshape_as(x)


class Attention(nn.Module):
    def __init__(self, dim, key_dim, heads, resolution):
        super().__init__()
        self.heads = heads
        self.key_dim = key_dim
        self.scale = key_dim ** -0.5
        self.qkv = LinearBN(dim, 3 * heads * key_dim)
        self.proj = nn.Sequential(nn.Hardswish(), LinearBN(heads * key_dim, dim, bn_weight_init=0.0))
        self.attn_bias = nn.Parameter(torch.zeros(heads, resolution * resolution, resolution * resolution))

    def forward(self, x):
        b, n, _ = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, self.key_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale + self.attn_bias
        x = (attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, self.heads * self.key_dim)
        return self.proj(x)


class TokenMLP(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        self.fc1 = LinearBN(dim, dim * ratio)
        self.act = nn.Hardswish()
        self.fc2 = LinearBN(dim * ratio, dim, bn_weight_init=0.0)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TokenBN(nn.Module):
    """Plain BatchNorm on tokens: channels are moved to dim 1 first."""

    def __init__(self, dim):
        super().__init__()
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x):
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class LeViTLike(nn.Module):
    def __init__(self, img_size=224, num_classes=1000, embed_dim=256, key_dim=32, heads=8, depth=6, mlp_ratio=2):
        super().__init__()
        self.stem = nn.Sequential(
            ConvBN(3, embed_dim // 8), nn.Hardswish(),
            ConvBN(embed_dim // 8, embed_dim // 4), nn.Hardswish(),
            ConvBN(embed_dim // 4, embed_dim // 2), nn.Hardswish(),
            ConvBN(embed_dim // 2, embed_dim),
        )
        resolution = img_size // 16
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.ModuleDict({
                "attn": Attention(embed_dim, key_dim, heads, resolution),
                "mlp": TokenMLP(embed_dim, mlp_ratio),
            }))
        self.final_norm = TokenBN(embed_dim)
        self.head = nn.Sequential(nn.BatchNorm1d(embed_dim), nn.Linear(embed_dim, num_classes))

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        for blk in self.blocks:
            x = x + blk["attn"](x)
            x = x + blk["mlp"](x)
        x = self.final_norm(x).mean(1)
        return self.head(x)


class LitLeViT(pl.LightningModule):
    def __init__(self, cfg):
        super().__init__()
        self.save_hyperparameters(cfg)
        self.cfg = cfg
        self.model = LeViTLike(cfg["img_size"], cfg["num_classes"], cfg["embed_dim"], cfg["key_dim"],
                               cfg["heads"], cfg["depth"], cfg["mlp_ratio"])

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.cross_entropy(logits, y), sync_dist=True)
        self.log("val/acc", (logits.argmax(1) == y).float().mean(), prog_bar=True, sync_dist=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/acc", (self(x).argmax(1) == y).float().mean(), sync_dist=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.cfg["lr"], weight_decay=self.cfg["weight_decay"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.cfg["epochs"])
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}


class FlowersData(pl.LightningDataModule):
    def __init__(self, root, cfg):
        super().__init__()
        self.root = root
        self.cfg = cfg
        norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        self.train_tf = T.Compose([T.RandomResizedCrop(cfg["img_size"]), T.RandomHorizontalFlip(),
                                   T.RandAugment(2, 9), T.ToTensor(), norm])
        self.eval_tf = T.Compose([T.Resize(int(cfg["img_size"] * 1.14)), T.CenterCrop(cfg["img_size"]),
                                  T.ToTensor(), norm])

    def setup(self, stage=None):
        self.train_set = torchvision.datasets.Flowers102(self.root, split="train", transform=self.train_tf, download=True)
        self.val_set = torchvision.datasets.Flowers102(self.root, split="val", transform=self.eval_tf, download=True)
        self.test_set = torchvision.datasets.Flowers102(self.root, split="test", transform=self.eval_tf, download=True)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.cfg["batch_size"], shuffle=True, num_workers=8, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256, num_workers=8)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256, num_workers=8)

    def predict_dataloader(self):
        return self.test_dataloader()


def fold_stem(model):
    """Fold each Conv+BN pair of the stem into a single conv (inference only)."""
    for i, block in enumerate(model.stem):
        if isinstance(block, ConvBN):
            model.stem[i] = fuse_conv_bn_eval(block[0], block[1])
    return model


def run_fit(args, cfg):
    pl.seed_everything(0)
    lit = LitLeViT(cfg)
    data = FlowersData(args.data, cfg)
    ckpt_cb = ModelCheckpoint(dirpath=cfg["out"], filename="best", monitor="val/acc", mode="max")
    trainer = pl.Trainer(max_epochs=cfg["epochs"], accelerator="auto", devices=1, precision="16-mixed",
                         callbacks=[ckpt_cb, LearningRateMonitor("epoch")], log_every_n_steps=20)
    trainer.fit(lit, datamodule=data)
    results = trainer.test(lit, datamodule=data, ckpt_path="best")
    with open(os.path.join(cfg["out"], "test_results.json"), "w") as fh:
        json.dump(results, fh, indent=2)


def run_export(args, cfg):
    lit = LitLeViT.load_from_checkpoint(args.ckpt, cfg=cfg, map_location="cpu")
    model = lit.model
    model.eval()
    model = fold_stem(model)
    example = torch.randn(1, 3, cfg["img_size"], cfg["img_size"])
    with torch.no_grad():
        ref = model(example)
    exported = torch.export.export(model, (example,))
    torch.export.save(exported, os.path.join(cfg["out"], "levit.pt2"))
    torch.onnx.export(model, example, os.path.join(cfg["out"], "levit.onnx"), opset_version=17,
                      input_names=["image"], output_names=["logits"])
    print("exported; reference logits norm %.4f" % ref.norm().item())


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["fit", "export"])
    ap.add_argument("--data", default="/data/flowers102")
    ap.add_argument("--ckpt", default=os.path.join(CONFIG["out"], "best.ckpt"))
    ap.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = ap.parse_args(argv)
    cfg = dict(CONFIG, epochs=args.epochs)
    os.makedirs(cfg["out"], exist_ok=True)
    if args.command == "fit":
        run_fit(args, cfg)
    else:
        run_export(args, cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
