"""Transfer-learning config for the PlantVillage leaf-disease classifier."""

CFG = {
    "data_root": "data/plantvillage",
    "num_classes": 38,
    "img_size": 224,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "backbone": {
        "widths": [64, 128, 256, 512],
        "depths": [2, 2, 2, 2],
        "frozen_stages": 2,      # stem + layer1 + layer2 stay at ImageNet weights
        "norm_eval": True,       # keep every backbone BN in eval (running stats frozen)
        "pretrained": "weights/resnet18_imagenet.pth",
    },
    "head": {
        "hidden": 512,
        "dropout": 0.3,
    },
    "optim": {
        "lr": 3e-3,
        "weight_decay": 1e-4,
        "epochs": 30,
    },
    "workers": 8,
    "out_dir": "runs/plantvillage_r18",
}
