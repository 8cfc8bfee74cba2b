"""Experiment configuration for V-Net on the 2018 Left Atrium Segmentation Challenge."""

CFG = {
    "exp_name": "vnet_la_fullsup",
    "root": "../data/2018LA_Seg_Training Set",
    "train_list": "../data/train.list",
    "test_list": "../data/test.list",
    "patch_size": (112, 112, 80),
    # full 112x112x80 patches on a single 11GB card -> only one volume per step
    "batch_size": 1,
    "val_batch_size": 1,
    "max_epochs": 300,
    "base_lr": 0.01,
    "val_interval": 10,
    "n_filters": 16,
    "seed": 1337,
    "snapshot_dir": "../model/vnet_la_fullsup",
}
