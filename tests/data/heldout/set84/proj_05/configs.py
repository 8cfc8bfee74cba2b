"""SimpleBaseline-style 2D human pose estimation on COCO keypoints."""

NUM_JOINTS = 17
INPUT_SIZE = (256, 192)          # h, w
HEATMAP_SIZE = (64, 48)
SIGMA = 2

# backbone
STEM_WIDTH = 64
STAGE_WIDTHS = (64, 128, 256, 512)
STAGE_DEPTHS = (2, 2, 2, 2)
BN_MOMENTUM = 0.01               # PyTorch convention (TF decay 0.99)

# head
NUM_DECONV = 3
DECONV_CHANNELS = 256
DECONV_KERNEL = 4

# training (per process; launched with torchrun --nproc_per_node=8)
IMS_PER_GPU = 4
WORKERS = 6
EPOCHS = 140
LR = 1e-3
LR_STEPS = (90, 120)
VIS_LOSS_WEIGHT = 0.1

COCO_ROOT = "/data/coco"
TRAIN_ANN = "annotations/person_keypoints_train2017.json"
VAL_ANN = "annotations/person_keypoints_val2017.json"
OUT_DIR = "output/pose_res18"
