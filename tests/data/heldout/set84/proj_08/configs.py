"""RegNet-ish classifier on Tiny-ImageNet, multi-GPU with SyncBN and EMA.

BN hyper-parameters were ported from the TF/TPU reference: decay 0.99 and
epsilon 1e-3. PyTorch momentum is 1 - decay.
"""

DATA_ROOT = "/data/tiny-imagenet-200"
NUM_CLASSES = 200
IMG_SIZE = 64

TF_BN_DECAY = 0.99
BN_MOMENTUM = 1 - TF_BN_DECAY       # 0.01 in PyTorch convention
BN_EPS = 1e-3

STEM_WIDTH = 32
STAGE_WIDTHS = (48, 104, 208, 440)
STAGE_DEPTHS = (1, 3, 6, 6)
GROUP_WIDTH = 8
SE_RATIO = 0.25
HEAD_DROPOUT = 0.2

EPOCHS = 100
BASE_LR = 0.2                       # per 256 images
WEIGHT_DECAY = 5e-5
EMA_DECAY = 0.9998
WARMUP_EPOCHS = 3
OUT_DIR = "runs/regnet_tin"
