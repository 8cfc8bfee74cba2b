"""Experiment configuration for the CIFAR-100 ResNet-50 baseline.

We only have a single 8 GB card, so the per-step batch is small and we
accumulate gradients to reach an effective batch of 128.
"""
import os

DATA_ROOT = os.environ.get("DATA_ROOT", "./data")
OUTPUT_DIR = os.environ.get("OUTPUT_DIR", "./runs/r50_cifar100")

TRAIN_CFG = {
    "arch": "resnet50",
    "num_classes": 100,
    "batch_size": 4,
    "accum_steps": 32,
    "epochs": 200,
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "workers": 4,
    "print_freq": 200,
}

EVAL_CFG = {
    "batch_size": 256,
    "workers": 4,
}
