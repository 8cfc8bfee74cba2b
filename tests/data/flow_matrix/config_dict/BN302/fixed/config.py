CONFIG = {
    "batch_size": 50,
    "lr": 0.01,
    "epochs": 20,
    "num_samples": 1000,
}
