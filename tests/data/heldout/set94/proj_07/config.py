"""Experiment configuration for distributed ImageNet-style training."""
import argparse
import copy

DEFAULTS = {
    "data_root": "/datasets/imagenet100",
    "arch": "resnet50_d",
    "num_classes": 100,
    "epochs": 90,
    "batch_size_per_gpu": 64,
    "workers": 8,
    "base_lr": 0.1,
    "lr_ref_batch": 256,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "warmup_epochs": 5,
    "label_smoothing": 0.1,
    "amp": True,
    "channels_last": True,
    "print_freq": 50,
    "ckpt_dir": "checkpoints/r50d",
    "resume": "",
    "image_size": 224,
    "val_resize": 256,
}


def scaled_lr(cfg, world_size):
    """Linear scaling rule: lr grows with the global batch."""
    global_batch = cfg["batch_size_per_gpu"] * world_size
    return cfg["base_lr"] * global_batch / cfg["lr_ref_batch"]


def parse_config(argv=None):
    parser = argparse.ArgumentParser(description="DDP training")
    for key, value in DEFAULTS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, dest=key, action="store_true", default=value)
            parser.add_argument("--no-" + key.replace("_", "-"), dest=key,
                                action="store_false")
        else:
            parser.add_argument(flag, dest=key, type=type(value), default=value)
    args = parser.parse_args(argv)
    cfg = copy.deepcopy(DEFAULTS)
    cfg.update(vars(args))
    return cfg


def describe(cfg):
    width = max(len(k) for k in cfg)
    return "\n".join(f"{k.ljust(width)} : {v}" for k, v in sorted(cfg.items()))


PRESETS = {
    "r50_short": {"arch": "resnet50_d", "epochs": 30, "warmup_epochs": 2},
    "r101_long": {"arch": "resnet101_d", "epochs": 120, "base_lr": 0.08},
}


def apply_preset(cfg, name):
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    out = copy.deepcopy(cfg)
    out.update(PRESETS[name])
    return out


def check_config(cfg):
    problems = []
    if cfg["warmup_epochs"] >= cfg["epochs"]:
        problems.append("warmup_epochs must be smaller than epochs")
    if cfg["image_size"] > cfg["val_resize"]:
        problems.append("val_resize must be >= image_size")
    if not 0.0 <= cfg["label_smoothing"] < 1.0:
        problems.append("label_smoothing must be in [0, 1)")
    if problems:
        raise ValueError("; ".join(problems))
    return cfg
