import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from easydict import EasyDict as edict
from torchvision.models.resnet import BasicBlock, Bottleneck
from torchvision.ops import RoIAlign, RoIPool

from layer_utils.snippets import generate_anchors_pre
from layer_utils.proposal_layer import proposal_layer
from layer_utils.proposal_target_layer import proposal_target_layer
from roi_data_layer.minibatch import get_minibatch

# lib/model/config.py
__C = edict()
cfg = __C
__C.TRAIN = edict()
__C.TRAIN.LEARNING_RATE = 0.001
__C.TRAIN.MOMENTUM = 0.9
__C.TRAIN.WEIGHT_DECAY = 0.0001
__C.TRAIN.DISPLAY = 10
# Images to use per minibatch
__C.TRAIN.IMS_PER_BATCH = 1
# Minibatch size (number of regions of interest [ROIs])
__C.TRAIN.BATCH_SIZE = 128
__C.RESNET = edict()
__C.RESNET.MAX_POOL = False
__C.RESNET.FIXED_BLOCKS = 1
__C.POOLING_MODE = 'align'
__C.POOLING_SIZE = 7
__C.RPN_CHANNELS = 512


# lib/roi_data_layer/layer.py
class RoIDataLayer(object):
    def __init__(self, roidb, num_classes, random=False):
        self._roidb = roidb
        self._num_classes = num_classes
        self._random = random
        self._shuffle_roidb_inds()

    def _shuffle_roidb_inds(self):
        self._perm = np.random.permutation(np.arange(len(self._roidb)))
        self._cur = 0

    def _get_next_minibatch_inds(self):
        if self._cur + cfg.TRAIN.IMS_PER_BATCH >= len(self._roidb):
            self._shuffle_roidb_inds()

        db_inds = self._perm[self._cur:self._cur + cfg.TRAIN.IMS_PER_BATCH]
        self._cur += cfg.TRAIN.IMS_PER_BATCH

        return db_inds

    def forward(self):
        db_inds = self._get_next_minibatch_inds()
        minibatch_db = [self._roidb[i] for i in db_inds]
        return get_minibatch(minibatch_db, self._num_classes)


# lib/nets/network.py
class Network(nn.Module):
    def __init__(self):
        nn.Module.__init__(self)
        self._predictions = {}
        self._losses = {}
        self._proposal_targets = {}
        self._layers = {}
        self._device = 'cuda'

    def _roi_pool_layer(self, bottom, rois):
        return RoIPool((cfg.POOLING_SIZE, cfg.POOLING_SIZE), 1.0 / 16.0)(bottom, rois)

    def _roi_align_layer(self, bottom, rois):
        return RoIAlign((cfg.POOLING_SIZE, cfg.POOLING_SIZE), 1.0 / 16.0, 0)(bottom, rois)

    def _proposal_target_layer(self, rois, roi_scores):
        rois, roi_scores, labels, bbox_targets, bbox_inside_weights, bbox_outside_weights = \
            proposal_target_layer(rois, roi_scores, self._gt_boxes, self._num_classes)

        self._proposal_targets['rois'] = rois
        self._proposal_targets['labels'] = labels.long()
        self._proposal_targets['bbox_targets'] = bbox_targets
        self._proposal_targets['bbox_inside_weights'] = bbox_inside_weights
        self._proposal_targets['bbox_outside_weights'] = bbox_outside_weights
        return rois, roi_scores

    def _anchor_component(self, height, width):
        anchors, anchor_length = generate_anchors_pre(height, width, self._feat_stride,
                                                      self._anchor_scales, self._anchor_ratios)
        self._anchors = torch.from_numpy(anchors).to(self._device)
        self._anchor_length = anchor_length

    def _add_losses(self):
        cls_score = self._predictions["cls_score"]
        label = self._proposal_targets["labels"].view(-1)
        cross_entropy = F.cross_entropy(cls_score.view(-1, self._num_classes), label)
        self._losses['cross_entropy'] = cross_entropy
        self._losses['total_loss'] = cross_entropy

    def _region_proposal(self, net_conv):
        rpn = F.relu(self.rpn_net(net_conv))
        rpn_cls_score = self.rpn_cls_score_net(rpn)
        rpn_cls_score_reshape = rpn_cls_score.view(1, 2, -1, rpn_cls_score.size()[-1])
        rpn_cls_prob_reshape = F.softmax(rpn_cls_score_reshape, dim=1)
        rpn_cls_prob = rpn_cls_prob_reshape.view_as(rpn_cls_score).permute(0, 2, 3, 1)
        rpn_bbox_pred = self.rpn_bbox_pred_net(rpn).permute(0, 2, 3, 1).contiguous()
        rois, roi_scores = proposal_layer(rpn_cls_prob, rpn_bbox_pred, self._im_info, self._mode,
                                          self._feat_stride, self._anchors, self._num_anchors)
        if self._mode == 'TRAIN':
            rois, _ = self._proposal_target_layer(rois, roi_scores)
        return rois

    def _region_classification(self, fc7):
        cls_score = self.cls_score_net(fc7)
        cls_prob = F.softmax(cls_score, dim=1)
        bbox_pred = self.bbox_pred_net(fc7)
        self._predictions["cls_score"] = cls_score
        self._predictions["cls_prob"] = cls_prob
        self._predictions["bbox_pred"] = bbox_pred
        return cls_prob, bbox_pred

    def create_architecture(self, num_classes, tag=None, anchor_scales=(8, 16, 32), anchor_ratios=(0.5, 1, 2)):
        self._tag = tag
        self._num_classes = num_classes
        self._anchor_scales = anchor_scales
        self._anchor_ratios = anchor_ratios
        self._num_anchors = len(anchor_scales) * len(anchor_ratios)
        self._init_modules()

    def _init_modules(self):
        self._init_head_tail()

        self.rpn_net = nn.Conv2d(self._net_conv_channels, cfg.RPN_CHANNELS, [3, 3], padding=1)
        self.rpn_cls_score_net = nn.Conv2d(cfg.RPN_CHANNELS, self._num_anchors * 2, [1, 1])
        self.rpn_bbox_pred_net = nn.Conv2d(cfg.RPN_CHANNELS, self._num_anchors * 4, [1, 1])
        self.cls_score_net = nn.Linear(self._fc7_channels, self._num_classes)
        self.bbox_pred_net = nn.Linear(self._fc7_channels, self._num_classes * 4)

    def _predict(self):
        net_conv = self._image_to_head()
        self._anchor_component(net_conv.size(2), net_conv.size(3))
        rois = self._region_proposal(net_conv)
        if cfg.POOLING_MODE == 'align':
            pool5 = self._roi_align_layer(net_conv, rois)
        else:
            pool5 = self._roi_pool_layer(net_conv, rois)
        fc7 = self._head_to_tail(pool5)
        cls_prob, bbox_pred = self._region_classification(fc7)
        return rois, cls_prob, bbox_pred

    def forward(self, image, im_info, gt_boxes=None, mode='TRAIN'):
        self._image = torch.from_numpy(image.transpose([0, 3, 1, 2])).to(self._device)
        self._im_info = im_info
        self._gt_boxes = torch.from_numpy(gt_boxes).to(self._device) if gt_boxes is not None else None
        self._mode = mode
        rois, cls_prob, bbox_pred = self._predict()
        if mode != 'TEST':
            self._add_losses()

    def test_image(self, image, im_info):
        self.eval()
        with torch.no_grad():
            self.forward(image, im_info, None, mode='TEST')
        return self._predictions['cls_prob'].data.cpu().numpy()

    def get_summary(self, blobs):
        self.eval()
        self.forward(blobs['data'], blobs['im_info'], blobs['gt_boxes'])
        self.train()
        return self._losses['total_loss'].item()

    def train_step(self, blobs, train_op):
        self.forward(blobs['data'], blobs['im_info'], blobs['gt_boxes'])
        loss = self._losses['total_loss'].item()
        train_op.zero_grad()
        self._losses['total_loss'].backward()
        train_op.step()
        return loss


# lib/nets/resnet_v1.py
class ResNet(torchvision.models.resnet.ResNet):
    def __init__(self, block, layers, num_classes=1000):
        self.inplanes = 64
        super(ResNet, self).__init__(block, layers, num_classes)
        # change to match the caffe resnet
        for i in range(2, 4):
            getattr(self, 'layer%d' % i)[0].conv1.stride = (2, 2)
            getattr(self, 'layer%d' % i)[0].conv2.stride = (1, 1)
        # use stride 1 for the last conv4 layer (same as tf-faster-rcnn)
        self.layer4[0].conv2.stride = (1, 1)
        self.layer4[0].downsample[0].stride = (1, 1)

        del self.avgpool, self.fc


def resnet101(pretrained=False):
    model = ResNet(Bottleneck, [3, 4, 23, 3])
    return model


class resnetv1(Network):
    def __init__(self, num_layers=50):
        Network.__init__(self)
        self._feat_stride = [16, ]
        self._feat_compress = [1. / float(self._feat_stride[0]), ]
        self._num_layers = num_layers
        self._net_conv_channels = 1024
        self._fc7_channels = 2048

    def _image_to_head(self):
        net_conv = self._layers['head'](self._image)
        return net_conv

    def _head_to_tail(self, pool5):
        fc7 = self.resnet.layer4(pool5).mean(3).mean(2)  # average pooling after layer4
        return fc7

    def _init_head_tail(self):
        if self._num_layers == 101:
            self.resnet = resnet101()
        else:
            raise NotImplementedError

        # Fix blocks
        for p in self.resnet.bn1.parameters():
            p.requires_grad = False
        for p in self.resnet.conv1.parameters():
            p.requires_grad = False
        assert (0 <= cfg.RESNET.FIXED_BLOCKS < 4)
        if cfg.RESNET.FIXED_BLOCKS >= 3:
            for p in self.resnet.layer3.parameters():
                p.requires_grad = False
        if cfg.RESNET.FIXED_BLOCKS >= 2:
            for p in self.resnet.layer2.parameters():
                p.requires_grad = False
        if cfg.RESNET.FIXED_BLOCKS >= 1:
            for p in self.resnet.layer1.parameters():
                p.requires_grad = False

        def set_bn_fix(m):
            classname = m.__class__.__name__
            if classname.find('BatchNorm') != -1:
                for p in m.parameters():
                    p.requires_grad = False

        self.resnet.apply(set_bn_fix)

        # Build resnet.
        self._layers['head'] = nn.Sequential(
            self.resnet.conv1, self.resnet.bn1, self.resnet.relu,
            self.resnet.maxpool, self.resnet.layer1, self.resnet.layer2,
            self.resnet.layer3)

    def train(self, mode=True):
        # Override train so that the training mode is set as we want
        nn.Module.train(self, mode)
        if mode:
            # Set fixed blocks to be in eval mode (not really doing anything)
            self.resnet.eval()
            if cfg.RESNET.FIXED_BLOCKS <= 3:
                self.resnet.layer4.train()
            if cfg.RESNET.FIXED_BLOCKS <= 2:
                self.resnet.layer3.train()
            if cfg.RESNET.FIXED_BLOCKS <= 1:
                self.resnet.layer2.train()
            if cfg.RESNET.FIXED_BLOCKS == 0:
                self.resnet.layer1.train()

            # Set batchnorm always in eval mode during training
            def set_bn_eval(m):
                classname = m.__class__.__name__
                if classname.find('BatchNorm') != -1:
                    m.eval()

            self.resnet.apply(set_bn_eval)


# lib/model/train_val.py (SolverWrapper.train_model, trimmed)
def train_model(net, roidb, valroidb, num_classes, max_iters):
    data_layer = RoIDataLayer(roidb, num_classes)
    data_layer_val = RoIDataLayer(valroidb, num_classes, random=True)

    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=cfg.TRAIN.LEARNING_RATE, momentum=cfg.TRAIN.MOMENTUM,
                                weight_decay=cfg.TRAIN.WEIGHT_DECAY)

    net.train()
    net.to(net._device)

    iter = 1
    while iter < max_iters + 1:
        blobs = data_layer.forward()
        total_loss = net.train_step(blobs, optimizer)
        if iter % cfg.TRAIN.DISPLAY == 0:
            blobs_val = data_layer_val.forward()
            val_loss = net.get_summary(blobs_val)
            print('iter: %d / %d, total loss: %.6f, val loss: %.6f' % (iter, max_iters, total_loss, val_loss))
        iter += 1


def train_net(roidb, valroidb, num_classes, max_iters=70000):
    net = resnetv1(num_layers=101)
    net.create_architecture(num_classes, tag='default', anchor_scales=(8, 16, 32), anchor_ratios=(0.5, 1, 2))
    train_model(net, roidb, valroidb, num_classes, max_iters)
