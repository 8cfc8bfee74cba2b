class TrainConfig:
    batch_size = 2
    lr = 0.01
    epochs = 50
