"""Default config for FCOS R-50-FPN 1x (8 GPUs, 2 images per GPU)."""
import copy

_C = {
    "MODEL": {
        "DEVICE": "cuda",
        "WEIGHTS": "detectron2://ImageNetPretrained/MSRA/R-50.pkl",
        "PIXEL_MEAN": [103.530, 116.280, 123.675],
        "PIXEL_STD": [1.0, 1.0, 1.0],
        "BACKBONE": {"FREEZE_AT": 2},
        "RESNETS": {
            "DEPTH": 50,
            # ImageNet statistics are kept: per-GPU batches are far too small for BN
            "NORM": "FrozenBN",
            "STEM_OUT_CHANNELS": 64,
            "RES2_OUT_CHANNELS": 256,
            "STRIDE_IN_1X1": True,
            "OUT_FEATURES": ["res3", "res4", "res5"],
        },
        "FPN": {"NORM": ""},
        "FCOS": {"NUM_CLASSES": 80, "NUM_CONVS": 4, "NORM": "GN"},
    },
    "DATASETS": {"TRAIN": ("coco_2017_train",), "TEST": ("coco_2017_val",)},
    "DATALOADER": {"NUM_WORKERS": 4, "IMS_PER_GPU": 2},
    "SOLVER": {
        "BASE_LR": 0.01,
        "MOMENTUM": 0.9,
        "WEIGHT_DECAY": 1e-4,
        "STEPS": (60000, 80000),
        "MAX_ITER": 90000,
        "WARMUP_ITERS": 1000,
        "CHECKPOINT_PERIOD": 5000,
    },
    "OUTPUT_DIR": "./output/fcos_R_50_FPN_1x",
}


def get_cfg():
    return copy.deepcopy(_C)
