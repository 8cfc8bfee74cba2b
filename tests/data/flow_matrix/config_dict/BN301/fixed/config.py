CONFIG = {
    "batch_size": 32,
    "lr": 0.01,
    "epochs": 20,
    "num_samples": 1000,
}
