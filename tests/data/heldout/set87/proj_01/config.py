"""Experiment config for fine-grained bird classification (CUB-200) with DDP."""

DATA = dict(
    root="/datasets/CUB_200_2011",
    img_size=448,
    num_workers=8,
)

MODEL = dict(
    arch="resnet50",
    num_classes=200,
    neck_channels=512,
    pretrained=True,
    dropout=0.2,
)

TRAIN = dict(
    batch_size_per_gpu=32,
    epochs=60,
    base_lr=0.01,
    backbone_lr_mult=0.1,
    momentum=0.9,
    weight_decay=1e-4,
    label_smoothing=0.1,
    eval_every=2,
    out_dir="runs/cub_r50_ddp",
)
