"""Hyper-parameters shared by train.py and the notebooks."""

CFG = {
    "data_dir": "./data",
    "arch": "vgg11_bn",
    # batch size lowered from 128 to fit on my laptop GPU (2 GB)
    "batch_size": 6,
    "test_batch_size": 256,
    "epochs": 30,
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "num_workers": 2,
    "checkpoint_dir": "checkpoints",
}
