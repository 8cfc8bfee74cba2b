"""Default experiment configuration (COCO, ResNet-50, 256x192)."""
import copy

_C = dict(
    OUTPUT_DIR="output",
    LOG_DIR="log",
    WORKERS=8,
    PRINT_FREQ=100,
    CUDNN=dict(BENCHMARK=True, DETERMINISTIC=False, ENABLED=True),
    MODEL=dict(
        NAME="pose_resnet",
        PRETRAINED="models/pytorch/imagenet/resnet50-19c8e357.pth",
        NUM_JOINTS=17,
        IMAGE_SIZE=(192, 256),
        HEATMAP_SIZE=(48, 64),
        SIGMA=2,
        SYNC_BN=True,
        EXTRA=dict(
            NUM_LAYERS=50,
            DECONV_WITH_BIAS=False,
            NUM_DECONV_LAYERS=3,
            NUM_DECONV_FILTERS=(256, 256, 256),
            NUM_DECONV_KERNELS=(4, 4, 4),
            FINAL_CONV_KERNEL=1,
        ),
    ),
    LOSS=dict(USE_TARGET_WEIGHT=True),
    DATASET=dict(ROOT="data/coco", TRAIN_SET="train2017", TEST_SET="val2017", FLIP=True, ROT_FACTOR=40, SCALE_FACTOR=0.3),
    TRAIN=dict(
        BATCH_SIZE_PER_GPU=32,
        SHUFFLE=True,
        BEGIN_EPOCH=0,
        END_EPOCH=140,
        OPTIMIZER="adam",
        LR=1e-3,
        LR_FACTOR=0.1,
        LR_STEP=(90, 120),
        WD=1e-4,
    ),
    TEST=dict(BATCH_SIZE_PER_GPU=32, POST_PROCESS=True, SHIFT_HEATMAP=True),
)

cfg = _C


def get_config(overrides=None):
    config = copy.deepcopy(_C)
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        if name:
            config[section][name] = value
        else:
            config[section] = value
    return config
