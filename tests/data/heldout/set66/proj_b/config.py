"""Feature vocabularies and hyper-parameters for the two-tower retrieval model."""

USER_SPARSE = {
    # feature name: (vocabulary size, embedding dim)
    "user_id": (2_000_003, 32),
    "country": (250, 8),
    "device_type": (16, 4),
    "age_bucket": (12, 4),
}
ITEM_SPARSE = {
    "item_id": (5_000_011, 32),
    "category": (4_096, 16),
    "brand": (60_000, 16),
}
USER_DENSE_DIM = 24        # activity counters, recency features
ITEM_DENSE_DIM = 384       # precomputed sentence embedding of the title
HISTORY_LEN = 50

MODEL = {
    "name": "two_tower",
    "tower_hidden": [512, 256],
    "out_dim": 64,
    "dropout": 0.1,
    "temperature": 0.05,
}

TRAIN = {
    "train_path": "s3://reco-prod/impressions/train/",
    "val_path": "s3://reco-prod/impressions/val/",
    "micro_batch_size": 4,
    "grad_accum_steps": 64,
    "eval_batch_size": 4096,
    "epochs": 3,
    "lr": 2e-3,
    "weight_decay": 1e-6,
    "eval_every": 20_000,
    "num_workers": 12,
}
