CONFIG = {
    "num_train": 513,  # 513 % 32 == 1, hence drop_last in the train loader
    "num_val": 200,
    "train_batch_size": 32,
    "eval_batch_size": 1,
    "epochs": 3,
    "lr": 0.05,
    "width": 16,
}
