"""Hyper-parameters for the "hey_lumen" wake-word detector."""

CONFIG = {
    "sample_rate": 16000,
    "clip_seconds": 1.5,
    "n_mels": 40,
    "train_manifest": "manifests/train.jsonl",
    "val_manifest": "manifests/val.jsonl",
    # small batches: positives are rare, we oversample them per batch
    "batch_size": 2,
    "epochs": 40,
    "lr": 1e-3,
    "width": 64,
    "n_blocks": 4,
    "checkpoint": "checkpoints/dscnn_heylumen.pt",
    "torchscript": "export/dscnn_heylumen.ts",
}
