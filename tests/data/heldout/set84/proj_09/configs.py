"""Semi-supervised (mean-teacher) review classification with 2k labelled examples."""

DATA_DIR = "data/reviews"
LABELED_FILE = "labeled_2k.pt"
UNLABELED_FILE = "unlabeled_100k.pt"
VAL_FILE = "val.pt"
TEST_FILE = "test.pt"

VOCAB_SIZE = 32000
MAX_LEN = 256
PAD_ID = 0
NUM_CLASSES = 5
NUM_TAGS = 9          # auxiliary aspect-tagging labels on the labelled subset

EMBED_DIM = 192
HIDDEN = 256
NUM_LAYERS = 4
NUM_HEADS = 8
DROPOUT = 0.1

LABELED_BATCH = 32
UNLABELED_BATCH = 96
EPOCHS = 60
LR = 5e-4
WEIGHT_DECAY = 0.01
EMA_DECAY = 0.999
CONSISTENCY_WEIGHT = 10.0
RAMPUP_EPOCHS = 15
TAG_LOSS_WEIGHT = 0.3
TOKEN_DROP = 0.15     # "strong" augmentation for the student: random token masking
OUT_DIR = "runs/mean_teacher"
