import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import HEADS
from ..norm import ConvModule


def sigmoid_focal_loss(pred, target, alpha=0.25, gamma=2.0):
    p = pred.sigmoid()
    ce = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return (alpha_t * loss).sum()


@HEADS.register_module()
class RetinaBNHead(nn.Module):
    """RetinaNet head whose tower uses BatchNorm (shared across pyramid levels).

    The classification tower is written out by hand (it was ported from the
    old caffe2 config); the regression tower goes through ConvModule.
    """

    def __init__(self, num_classes, in_channels, stacked_convs=4, feat_channels=256,
                 norm_cfg=dict(type='BN', momentum=0.01), anchor_scales=(4,), anchor_ratios=(0.5, 1.0, 2.0),
                 anchor_strides=(8, 16, 32, 64, 128)):
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.stacked_convs = stacked_convs
        self.feat_channels = feat_channels
        self.norm_cfg = norm_cfg
        self.anchor_strides = anchor_strides
        self.num_anchors = len(anchor_scales) * len(anchor_ratios)
        self.cls_out_channels = num_classes

        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        for i in range(self.stacked_convs):
            chn = self.in_channels if i == 0 else self.feat_channels
            self.cls_convs.append(nn.Sequential(
                nn.Conv2d(chn, self.feat_channels, 3, stride=1, padding=1),  # expect: BN204
                nn.BatchNorm2d(self.feat_channels),
                nn.ReLU(inplace=True),
            ))
            self.reg_convs.append(
                ConvModule(chn, self.feat_channels, 3, stride=1, padding=1, norm_cfg=self.norm_cfg))
        self.retina_cls = nn.Conv2d(self.feat_channels, self.num_anchors * self.cls_out_channels, 3, padding=1)
        self.retina_reg = nn.Conv2d(self.feat_channels, self.num_anchors * 4, 3, padding=1)

    def init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        prior_prob = 0.01
        nn.init.constant_(self.retina_cls.bias, -math.log((1 - prior_prob) / prior_prob))

    def forward_single(self, x):
        cls_feat = x
        reg_feat = x
        for cls_conv in self.cls_convs:
            cls_feat = cls_conv(cls_feat)
        for reg_conv in self.reg_convs:
            reg_feat = reg_conv(reg_feat)
        cls_score = self.retina_cls(cls_feat)
        bbox_pred = self.retina_reg(reg_feat)
        return cls_score, bbox_pred

    def forward(self, feats):
        cls_scores, bbox_preds = [], []
        for x in feats:
            c, b = self.forward_single(x)
            cls_scores.append(c)
            bbox_preds.append(b)
        return cls_scores, bbox_preds

    def loss(self, cls_scores, bbox_preds, cls_targets, bbox_targets, num_pos):
        loss_cls, loss_bbox = 0.0, 0.0
        for cs, bp, ct, bt in zip(cls_scores, bbox_preds, cls_targets, bbox_targets):
            n = cs.size(0)
            cs = cs.permute(0, 2, 3, 1).reshape(n, -1, self.cls_out_channels)
            bp = bp.permute(0, 2, 3, 1).reshape(n, -1, 4)
            loss_cls = loss_cls + sigmoid_focal_loss(cs, ct)
            pos = ct.max(-1)[0] > 0
            loss_bbox = loss_bbox + F.smooth_l1_loss(bp[pos], bt[pos], beta=0.11, reduction='sum')
        denom = max(float(num_pos), 1.0)
        return dict(loss_cls=loss_cls / denom, loss_bbox=loss_bbox / denom)

    def get_bboxes(self, cls_scores, bbox_preds, score_thr=0.05, max_per_img=100):
        results = []
        n = cls_scores[0].size(0)
        for img_id in range(n):
            scores = torch.cat([cs[img_id].permute(1, 2, 0).reshape(-1, self.cls_out_channels).sigmoid()
                                for cs in cls_scores])
            deltas = torch.cat([bp[img_id].permute(1, 2, 0).reshape(-1, 4) for bp in bbox_preds])
            max_scores, labels = scores.max(dim=1)
            keep = max_scores > score_thr
            topk = max_scores[keep].topk(min(max_per_img, int(keep.sum()))).indices
            results.append((deltas[keep][topk], max_scores[keep][topk], labels[keep][topk]))
        return results
