"""Configuration for the keyword-spotting (KWS) pipeline.

All values here are plain Python so that train / evaluate / export scripts can
import them without pulling in a YAML dependency on the edge build machines.
"""

SAMPLE_RATE = 16000
N_MELS = 40
HOP_LENGTH = 160
NUM_FRAMES = 101  # 1 s clip at 10 ms hop

KEYWORDS = [
    "yes", "no", "up", "down", "left", "right",
    "on", "off", "stop", "go", "_silence_", "_unknown_",
]

CFG = {
    "data_root": "/mnt/datasets/speech_commands_v2/features",
    "model": {
        "arch": "tc_resnet14",
        "kwargs": {"n_mels": N_MELS, "num_classes": len(KEYWORDS), "dropout": 0.1},
    },
    "train": {
        "batch_size": 256,
        "epochs": 40,
        "lr": 3e-3,
        "weight_decay": 1e-4,
        "num_workers": 8,
        "label_smoothing": 0.05,
    },
    "eval": {
        "batch_size": 512,
        "num_workers": 4,
    },
    "export": {
        "opset": 17,
        "output": "artifacts/kws_tc_resnet14.onnx",
    },
}
