import torch
import torch.nn as nn

from .builder import DETECTORS, build_backbone, build_head, build_neck


@DETECTORS.register_module()
class FCOS(nn.Module):
    def __init__(self, backbone, neck, bbox_head, train_cfg=None, test_cfg=None):
        super().__init__()
        self.backbone = build_backbone(backbone)
        self.neck = build_neck(neck)
        self.bbox_head = build_head(bbox_head)
        self.test_cfg = test_cfg or dict(score_thr=0.05, max_per_img=100)

    def init_weights(self):
        self.backbone.init_weights()
        self.neck.init_weights()
        self.bbox_head.init_weights()

    def extract_feat(self, img):
        return self.neck(self.backbone(img))

    def forward_train(self, img, targets):
        cls_scores, bbox_preds, centernesses = self.bbox_head(self.extract_feat(img))
        return self.bbox_head.loss(cls_scores, bbox_preds, centernesses, targets)

    def simple_test(self, img):
        cls_scores, bbox_preds, centernesses = self.bbox_head(self.extract_feat(img))
        results = []
        for i in range(img.size(0)):
            scores = [(c[i].sigmoid() * t[i].sigmoid()).flatten(1) for c, t in zip(cls_scores, centernesses)]
            boxes = [b[i].flatten(1) for b in bbox_preds]
            s = torch.cat(scores, dim=1)
            b = torch.cat(boxes, dim=1)
            best, labels = s.max(dim=0)
            keep = best.topk(min(self.test_cfg['max_per_img'], best.numel())).indices
            keep = keep[best[keep] > self.test_cfg['score_thr']]
            results.append((b[:, keep].t(), best[keep], labels[keep]))
        return results

    def forward(self, img, targets=None, return_loss=True):
        if return_loss:
            return self.forward_train(img, targets)
        return self.simple_test(img)
