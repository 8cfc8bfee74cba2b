"""python run.py --config config.yaml [--resume runs/defects/last.ckpt]"""
import argparse
import os

import torch
import yaml
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from callbacks import EarlyStopping, FreezeBNStats, GradNormMonitor, LRLogger, ModelCheckpoint
from engine import Engine
from model import DefectNet, count_parameters


def load_config(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


def build_loaders(data_cfg):
    size = data_cfg["image_size"]
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(0.7, 1.0)),
        transforms.RandomHorizontalFlip(), transforms.RandomVerticalFlip(),
        transforms.ColorJitter(0.2, 0.2), transforms.ToTensor()])
    eval_tf = transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size),
                                  transforms.ToTensor()])
    root = data_cfg["root"]
    train = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    val = datasets.ImageFolder(os.path.join(root, "val"), eval_tf)
    test = datasets.ImageFolder(os.path.join(root, "test"), eval_tf)
    return {
        "train": DataLoader(train, batch_size=data_cfg["batch_size"], shuffle=True,
                            num_workers=data_cfg["workers"], drop_last=True, pin_memory=True),
        "val": DataLoader(val, batch_size=data_cfg["batch_size"] * 2,
                          num_workers=data_cfg["workers"]),
        "test": DataLoader(test, batch_size=1, num_workers=2),
    }


def check_config(cfg):
    required = {"data": ["root", "image_size", "batch_size", "workers"],
                "optim": ["lr", "weight_decay", "epochs", "accum_steps", "amp"],
                "callbacks": ["patience", "freeze_bn_after_epoch", "ckpt_dir"]}
    missing = [f"{sec}.{key}" for sec, keys in required.items()
               for key in keys if key not in cfg.get(sec, {})]
    if missing:
        raise KeyError(f"config is missing: {', '.join(missing)}")
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--resume", default="")
    args = ap.parse_args()
    cfg = check_config(load_config(args.config))

    loaders = build_loaders(cfg["data"])
    model = DefectNet(num_classes=len(loaders["train"].dataset.classes))
    print(f"{cfg['experiment']}: {count_parameters(model) / 1e6:.2f}M params")
    optim_cfg = cfg["optim"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=optim_cfg["lr"],
                                  weight_decay=optim_cfg["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=optim_cfg["epochs"])
    cb_cfg = cfg["callbacks"]
    callbacks = [
        FreezeBNStats(after_epoch=cb_cfg["freeze_bn_after_epoch"]),
        EarlyStopping(patience=cb_cfg["patience"]),
        ModelCheckpoint(cb_cfg["ckpt_dir"]),
        LRLogger(),
        GradNormMonitor(),
    ]
    engine = Engine(model, optimizer, scheduler, loaders, epochs=optim_cfg["epochs"],
                    accum_steps=optim_cfg["accum_steps"], amp=optim_cfg["amp"],
                    callbacks=callbacks,
                    device="cuda" if torch.cuda.is_available() else "cpu")
    if args.resume:
        engine.resume(args.resume)
    engine.fit()
    probs = engine.predict(loaders["test"])
    torch.save(probs, os.path.join(cb_cfg["ckpt_dir"], "test_probs.pt"))


if __name__ == "__main__":
    main()
