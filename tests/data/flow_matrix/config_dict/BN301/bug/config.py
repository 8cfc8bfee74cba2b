CONFIG = {
    "batch_size": 1,
    "lr": 0.01,
    "epochs": 20,
    "num_samples": 1000,
}
