import torch.nn as nn

from ...registry import BACKBONES, DETECTORS, HEADS, NECKS, build_from_cfg


@DETECTORS.register_module()
class RetinaNet(nn.Module):
    """Single-stage detector: backbone -> FPN -> dense head."""

    def __init__(self, backbone, neck, bbox_head, train_cfg=None, test_cfg=None):
        super().__init__()
        self.backbone = build_from_cfg(backbone, BACKBONES)
        self.neck = build_from_cfg(neck, NECKS)
        self.bbox_head = build_from_cfg(bbox_head, HEADS)
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}

    def init_weights(self):
        self.backbone.init_weights()
        self.bbox_head.init_weights()

    def extract_feat(self, img):
        x = self.backbone(img)
        return self.neck(x)

    def forward_train(self, img, img_metas, cls_targets, bbox_targets, num_pos):
        x = self.extract_feat(img)
        cls_scores, bbox_preds = self.bbox_head(x)
        return self.bbox_head.loss(cls_scores, bbox_preds, cls_targets, bbox_targets, num_pos)

    def simple_test(self, img, img_metas):
        x = self.extract_feat(img)
        cls_scores, bbox_preds = self.bbox_head(x)
        results = self.bbox_head.get_bboxes(cls_scores, bbox_preds,
                                            score_thr=self.test_cfg.get('score_thr', 0.05),
                                            max_per_img=self.test_cfg.get('max_per_img', 100))
        for res, meta in zip(results, img_metas):
            meta['num_dets'] = len(res[1])
        return results

    def forward(self, img, img_metas, return_loss=True, **kwargs):
        if return_loss:
            return self.forward_train(img, img_metas, **kwargs)
        return self.simple_test(img, img_metas)
