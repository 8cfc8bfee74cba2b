"""Settings for the CNN-GRU intent classifier (ATIS/SNIPS style data)."""

DATA_DIR = "data/snips"
VOCAB_FILE = "data/snips/vocab.txt"
MAX_LEN = 128
PAD_ID = 0
UNK_ID = 1

VOCAB_SIZE = 30000
EMBED_DIM = 128
CONV_CHANNELS = 256
KERNEL_SIZES = (3, 5, 7)
GRU_HIDDEN = 192
NUM_INTENTS = 7
DROPOUT = 0.3

TRAIN_CFG = {
    "batch_size": 4,          # long sequences, keeps the laptop GPU under 4 GB
    "eval_batch_size": 64,
    "epochs": 20,
    "lr": 3e-4,
    "weight_decay": 0.01,
    "grad_clip": 1.0,
    "warmup_steps": 500,
    "num_workers": 2,
    "out": "runs/intent_cnn_gru",
}
