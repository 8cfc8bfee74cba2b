MODEL_CFG = {"channels": [32, 64, 128], "num_classes": 10}
