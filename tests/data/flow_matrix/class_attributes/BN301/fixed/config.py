class TrainConfig:
    batch_size = 64
    lr = 0.01
    epochs = 50
