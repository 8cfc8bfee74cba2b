"""ImageNet-100 MobileNetV2-ish run, 8 GPUs."""

CONFIG = {
    "data": {
        "train_dir": "/datasets/imagenet100/train",
        "val_dir": "/datasets/imagenet100/val",
        "img_size": 224,
        "num_classes": 100,
        "workers_per_gpu": 8,
    },
    "model": {
        "width_mult": 1.0,
        "last_channel": 1280,
        "dropout": 0.2,
        "embed_dim": 256,
    },
    "optim": {
        "batch_size_per_gpu": 64,
        "epochs": 150,
        "lr": 0.05,          # for a global batch of 512
        "momentum": 0.9,
        "weight_decay": 4e-5,
        "warmup_epochs": 5,
        "label_smoothing": 0.1,
    },
    "dist": {
        "backend": "nccl",
        "sync_bn": True,
    },
    "output_dir": "runs/mbv2_in100",
}

# inverted residual settings: t (expansion), c (channels), n (repeats), s (stride)
INVERTED_RESIDUAL_SETTING = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]
