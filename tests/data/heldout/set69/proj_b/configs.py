"""Configs are plain dicts: a shared BASE merged with per-experiment overrides."""
import copy

BASE = dict(
    arch="simsiam",
    backbone=dict(type="resnet18_cifar", zero_init_residual=True),
    projector=dict(type="simsiam_projector", hidden_dim=2048, out_dim=2048, num_layers=3),
    predictor=dict(type="simsiam_predictor", hidden_dim=512),
    data=dict(
        name="cifar10",
        root="./data",
        image_size=32,
        num_classes=10,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
    ),
    pretrain=dict(
        epochs=800,
        batch_size=128,  # per GPU
        base_lr=0.03,
        weight_decay=5e-4,
        momentum=0.9,
        fix_pred_lr=True,
        sync_bn=True,
        knn_k=200,
        knn_t=0.1,
        knn_every=20,
        workers=8,
    ),
    linear=dict(
        epochs=100,
        batch_size=256,
        lr=30.0,
        weight_decay=0.0,
        momentum=0.9,
        workers=8,
    ),
    work_dir="work_dirs",
)

EXPERIMENTS = {
    "simsiam_r18_cifar10": {},
    "simsiam_r18_cifar100": {
        "data": {"name": "cifar100", "num_classes": 100,
                 "mean": (0.5071, 0.4865, 0.4409), "std": (0.2673, 0.2564, 0.2762)},
    },
    "simsiam_r50_in100": {
        "backbone": {"type": "resnet50"},
        "data": {"name": "imagenet100", "root": "/data/imagenet100", "image_size": 224, "num_classes": 100,
                 "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
        "pretrain": {"epochs": 200, "batch_size": 64, "base_lr": 0.05, "weight_decay": 1e-4},
        "linear": {"epochs": 90, "batch_size": 256, "lr": 0.02, "weight_decay": 0.0},
    },
}


def merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(name, overrides=None):
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name}; known: {', '.join(sorted(EXPERIMENTS))}")
    cfg = merge(BASE, EXPERIMENTS[name])
    cfg["name"] = name
    for item in overrides or []:
        path, raw = item.split("=", 1)
        node = cfg
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        old = node[keys[-1]]
        node[keys[-1]] = type(old)(raw) if not isinstance(old, bool) else raw.lower() == "true"
    return cfg
