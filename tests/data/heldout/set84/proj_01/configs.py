"""Experiment configuration for the CIFAR-10 ResNet baseline.

Everything here is a plain module constant so that scripts can do
`import configs as C` and override from the command line if needed.
"""
import os

# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
DATA_ROOT = os.environ.get("CIFAR_ROOT", "./data")
NUM_CLASSES = 10
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
NUM_WORKERS = 4

# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
# stem was 64 in the first runs; 32 is enough for 32x32 inputs and saves ~15% FLOPs
STEM_CHANNELS = 32
STAGE_WIDTHS = (64, 128, 256)
BLOCKS_PER_STAGE = (2, 2, 2)
PROJ_DIM = 512
DROPOUT = 0.2

# ----------------------------------------------------------------------------
# optimisation
# ----------------------------------------------------------------------------
BATCH_SIZE = 128
EVAL_BATCH_SIZE = 256
EPOCHS = 90
LR = 0.1
MOMENTUM = 0.9          # SGD momentum
NESTEROV = True
WEIGHT_DECAY = 5e-4
MILESTONES = (30, 60, 80)
GAMMA = 0.1
LABEL_SMOOTHING = 0.1

# ----------------------------------------------------------------------------
# bookkeeping
# ----------------------------------------------------------------------------
CKPT_DIR = "checkpoints/resnet_cifar"
LOG_EVERY = 50
SEED = 0
