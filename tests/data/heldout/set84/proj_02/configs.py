"""Config for DeepLab-lite on Pascal VOC (aug).

Hyper-parameters follow the TF reference implementation where possible.
"""

NUM_CLASSES = 21
IGNORE_INDEX = 255
CROP_SIZE = 512
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# encoder
ENC_WIDTHS = (32, 64, 128, 256)
OUTPUT_STRIDE = 8

# decoder / ASPP
ASPP_CHANNELS = 256
ASPP_RATES = (6, 12, 18)
BN_MOMENTUM = 0.9997   # decay of the moving averages, as in the TF deeplab code
DECODER_DROPOUT = 0.1

TRAIN = dict(
    data_root="data/VOCdevkit/VOC2012",
    train_list="data/VOCdevkit/VOC2012/ImageSets/Segmentation/train_aug.txt",
    val_list="data/VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt",
    batch_size=16,
    num_workers=8,
    epochs=50,
    base_lr=0.01,
    head_lr_mult=10.0,
    momentum=0.9,
    weight_decay=1e-4,
    poly_power=0.9,
    eval_every=5,
    pretrained="weights/enc_imagenet.pth",
    out_dir="runs/deeplab_lite",
)
