import torch
import torch.nn as nn
import torch.nn.functional as F

from .builder import HEADS
from .cnn import ConvModule, Scale, bias_init_with_prob, normal_init


@HEADS.register_module()
class FCOSHead(nn.Module):
    def __init__(self, num_classes, in_channels, stacked_convs=4, feat_channels=256,
                 strides=(8, 16, 32, 64, 128), norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
                 center_sampling=False):
        super().__init__()
        self.num_classes = num_classes
        self.strides = strides
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        for i in range(stacked_convs):
            chn = in_channels if i == 0 else feat_channels
            self.cls_convs.append(ConvModule(chn, feat_channels, 3, padding=1, norm_cfg=norm_cfg))
            self.reg_convs.append(ConvModule(chn, feat_channels, 3, padding=1, norm_cfg=norm_cfg))
        self.conv_cls = nn.Conv2d(feat_channels, num_classes, 3, padding=1)
        self.conv_reg = nn.Conv2d(feat_channels, 4, 3, padding=1)
        self.conv_centerness = nn.Conv2d(feat_channels, 1, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in strides])
        self.center_sampling = center_sampling

    def init_weights(self):
        for m in list(self.cls_convs) + list(self.reg_convs):
            normal_init(m.conv, std=0.01)
        normal_init(self.conv_cls, std=0.01, bias=bias_init_with_prob(0.01))
        normal_init(self.conv_reg, std=0.01)
        normal_init(self.conv_centerness, std=0.01)

    def forward_single(self, x, scale):
        cls_feat, reg_feat = x, x
        for layer in self.cls_convs:
            cls_feat = layer(cls_feat)
        for layer in self.reg_convs:
            reg_feat = layer(reg_feat)
        cls_score = self.conv_cls(cls_feat)
        centerness = self.conv_centerness(reg_feat)
        bbox_pred = scale(self.conv_reg(reg_feat)).float().exp()
        return cls_score, bbox_pred, centerness

    def forward(self, feats):
        outs = [self.forward_single(x, s) for x, s in zip(feats, self.scales)]
        return tuple(map(list, zip(*outs)))

    def loss(self, cls_scores, bbox_preds, centernesses, targets):
        losses_cls, losses_bbox, losses_ctr = [], [], []
        num_pos = max(sum(float(t['num_pos']) for t in targets), 1.0)
        for lvl, (cls, box, ctr) in enumerate(zip(cls_scores, bbox_preds, centernesses)):
            tgt_cls = torch.stack([t['cls'][lvl] for t in targets])
            tgt_box = torch.stack([t['box'][lvl] for t in targets])
            tgt_ctr = torch.stack([t['ctr'][lvl] for t in targets])
            pos = tgt_ctr > 0
            losses_cls.append(F.binary_cross_entropy_with_logits(cls, tgt_cls, reduction='sum'))
            losses_bbox.append(F.l1_loss(box.permute(0, 2, 3, 1)[pos.squeeze(1)],
                                         tgt_box.permute(0, 2, 3, 1)[pos.squeeze(1)], reduction='sum'))
            losses_ctr.append(F.binary_cross_entropy_with_logits(ctr[pos], tgt_ctr[pos], reduction='sum'))
        return dict(loss_cls=sum(losses_cls) / num_pos, loss_bbox=sum(losses_bbox) / num_pos,
                    loss_centerness=sum(losses_ctr) / num_pos)
