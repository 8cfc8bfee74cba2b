CONFIG = {
    "nz": 128,
    "ngf": 64,
    "ndf": 64,
    "nc": 3,
    "image_size": 64,
    "batch_size": 128,
    "epochs": 30,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "betas": (0.5, 0.999),
    "workers": 6,
    "out_dir": "runs/dcgan",
}
