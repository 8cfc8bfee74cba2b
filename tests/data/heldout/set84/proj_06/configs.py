"""Proxy task: 3D CNN on synthetic volumes with BraTS-sized splits.

We first debug the whole pipeline on random volumes of the same split sizes as
BraTS 2021 before pointing it to the real data.
"""

IN_CHANNELS = 4             # T1, T1ce, T2, FLAIR
VOLUME_SIZE = 32
NUM_CLASSES = 3

NUM_TRAIN = 1251            # BraTS'21 training cases
NUM_VAL = 219
NUM_TEST = 570

STAGE_WIDTHS = (32, 64, 128)
FEATURE_DIM = 256
EMBED_DIM = 128
DROPOUT = 0.1

BATCH_SIZE = 10
EPOCHS = 40
LR = 2e-4
WEIGHT_DECAY = 1e-5
SEED = 1234
CKPT = "runs/proxy3d/model.pt"
