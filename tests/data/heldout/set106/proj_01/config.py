"""Default hyper-parameters for the WISDM activity-recognition experiments."""

DATA = {
    "root": "data/wisdm",
    "window": 200,  # 10 s at 20 Hz
    "stride": 100,
    "channels": 3,  # accelerometer x, y, z
    "num_classes": 6,
}

TRAIN = {
    "batch_size": 6,
    "epochs": 40,
    "lr": 3e-3,
    "weight_decay": 1e-4,
    "num_workers": 2,
    "out_dir": "runs/wisdm",
}

MODEL = {
    "name": "resnet1d",
    "widths": (32, 64, 128),
    "dropout": 0.3,
}
