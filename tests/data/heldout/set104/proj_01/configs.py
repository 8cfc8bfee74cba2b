"""Experiment configuration for the Cityscapes segmentation baseline."""

DATA_ROOT = "/datasets/cityscapes"
NUM_CLASSES = 19
IGNORE_INDEX = 255
CROP_SIZE = (768, 768)

# 8 GPUs x 4 images = 32 images per optimizer step
PER_GPU_BATCH_SIZE = 4
VAL_BATCH_SIZE = 8
NUM_WORKERS = 6

EPOCHS = 120
BASE_LR = 0.01
WEIGHT_DECAY = 1e-4
POLY_POWER = 0.9

OUTPUT_DIR = "work_dirs/cityscapes_aspp"
EVAL_EVERY = 5
