# RetinaNet R-50-FPN with a BN head (no GN), 1x schedule, 8 GPUs x 4 images.
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    type='RetinaNet',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=norm_cfg,
        norm_eval=True,
        pretrained='torchvision://resnet50'),
    neck=dict(
        type='FPN',
        in_channels=[512, 1024, 2048],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_output',
        num_outs=5),
    bbox_head=dict(
        type='RetinaBNHead',
        num_classes=80,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        norm_cfg=dict(type='BN', momentum=0.01, requires_grad=True),
        anchor_scales=(4, 4 * 2 ** (1 / 3), 4 * 2 ** (2 / 3)),
        anchor_ratios=(0.5, 1.0, 2.0),
        anchor_strides=(8, 16, 32, 64, 128)),
    train_cfg=dict(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.0),
    test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05, nms_iou=0.5, max_per_img=100))

data_root = 'data/coco/'
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
data = dict(
    samples_per_gpu=4,
    workers_per_gpu=2,
    train=dict(
        type='CocoDataset',
        ann_file=data_root + 'annotations/instances_train2017.json',
        img_prefix=data_root + 'train2017/',
        img_scale=(1333, 800),
        flip_ratio=0.5,
        img_norm_cfg=img_norm_cfg),
    val=dict(
        type='CocoDataset',
        ann_file=data_root + 'annotations/instances_val2017.json',
        img_prefix=data_root + 'val2017/',
        img_scale=(1333, 800),
        flip_ratio=0.0,
        img_norm_cfg=img_norm_cfg))

optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
optimizer_config = dict(grad_clip=dict(max_norm=35, norm_type=2))
lr_config = dict(policy='step', warmup='linear', warmup_iters=500, warmup_ratio=0.001, step=[8, 11])
total_epochs = 12
evaluation = dict(interval=1, metric='bbox')
checkpoint_config = dict(interval=1)
log_config = dict(interval=50)
work_dir = './work_dirs/retinanet_r50_fpn_bnhead_1x_coco'
