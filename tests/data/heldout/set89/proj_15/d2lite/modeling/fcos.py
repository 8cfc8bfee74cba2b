import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import Conv2d, get_norm
from ..layers.wrappers import c2_xavier_fill
from .resnet import build_resnet_backbone


class FPN(nn.Module):
    def __init__(self, bottom_up, in_features, out_channels, norm=""):
        super().__init__()
        self.bottom_up = bottom_up
        self.in_features = in_features
        in_channels = bottom_up.output_channels()
        use_bias = norm == ""
        self.lateral_convs = nn.ModuleList()
        self.output_convs = nn.ModuleList()
        for c in in_channels:
            lateral = Conv2d(c, out_channels, kernel_size=1, bias=use_bias, norm=get_norm(norm, out_channels))
            output = Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=use_bias,
                            norm=get_norm(norm, out_channels))
            c2_xavier_fill(lateral)
            c2_xavier_fill(output)
            self.lateral_convs.append(lateral)
            self.output_convs.append(output)
        self.p6 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)

    def forward(self, x):
        feats = self.bottom_up(x)
        feats = [feats[f] for f in self.in_features][::-1]
        prev = self.lateral_convs[-1](feats[0])
        results = [self.output_convs[-1](prev)]
        for feat, lateral, output in zip(feats[1:], list(self.lateral_convs)[-2::-1], list(self.output_convs)[-2::-1]):
            prev = lateral(feat) + F.interpolate(prev, scale_factor=2.0, mode="nearest")
            results.insert(0, output(prev))
        p6 = self.p6(results[-1])
        results.extend([p6, self.p7(F.relu(p6))])
        return results


class FCOSHead(nn.Module):
    def __init__(self, in_channels, num_classes, num_convs=4, norm="GN", prior_prob=0.01):
        super().__init__()
        cls_subnet, bbox_subnet = [], []
        for _ in range(num_convs):
            for subnet in (cls_subnet, bbox_subnet):
                subnet.append(nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1,
                                        bias=norm == ""))
                if norm:
                    subnet.append(get_norm(norm, in_channels))
                subnet.append(nn.ReLU())
        self.cls_subnet = nn.Sequential(*cls_subnet)
        self.bbox_subnet = nn.Sequential(*bbox_subnet)
        self.cls_score = nn.Conv2d(in_channels, num_classes, kernel_size=3, stride=1, padding=1)
        self.bbox_pred = nn.Conv2d(in_channels, 4, kernel_size=3, stride=1, padding=1)
        self.ctrness = nn.Conv2d(in_channels, 1, kernel_size=3, stride=1, padding=1)
        for modules in [self.cls_subnet, self.bbox_subnet, self.cls_score, self.bbox_pred, self.ctrness]:
            for layer in modules.modules():
                if isinstance(layer, nn.Conv2d):
                    torch.nn.init.normal_(layer.weight, mean=0, std=0.01)
                    if layer.bias is not None:
                        torch.nn.init.constant_(layer.bias, 0)
        torch.nn.init.constant_(self.cls_score.bias, -math.log((1 - prior_prob) / prior_prob))

    def forward(self, features):
        logits, bbox_reg, ctrness = [], [], []
        for feature in features:
            cls_feat = self.cls_subnet(feature)
            reg_feat = self.bbox_subnet(feature)
            logits.append(self.cls_score(cls_feat))
            bbox_reg.append(F.relu(self.bbox_pred(reg_feat)))
            ctrness.append(self.ctrness(reg_feat))
        return logits, bbox_reg, ctrness


class FCOS(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        backbone = build_resnet_backbone(cfg)
        fcfg = cfg["MODEL"]["FCOS"]
        self.backbone = FPN(backbone, cfg["MODEL"]["RESNETS"]["OUT_FEATURES"], 256, norm=cfg["MODEL"]["FPN"]["NORM"])
        self.head = FCOSHead(256, fcfg["NUM_CLASSES"], fcfg["NUM_CONVS"], norm=fcfg["NORM"])
        self.register_buffer("pixel_mean", torch.tensor(cfg["MODEL"]["PIXEL_MEAN"]).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(cfg["MODEL"]["PIXEL_STD"]).view(-1, 1, 1), False)

    def forward(self, batched_inputs):
        images = torch.stack([(x["image"].to(self.pixel_mean.device) - self.pixel_mean) / self.pixel_std
                              for x in batched_inputs])
        logits, bbox_reg, ctrness = self.head(self.backbone(images))
        if self.training:
            targets = [x["targets"] for x in batched_inputs]
            return self.losses(logits, bbox_reg, ctrness, targets)
        return [dict(logits=l, bbox_reg=b, ctrness=c) for l, b, c in zip(logits, bbox_reg, ctrness)]

    def losses(self, logits, bbox_reg, ctrness, targets):
        loss_cls = sum(F.binary_cross_entropy_with_logits(l, torch.stack([t["cls"][i] for t in targets]))
                       for i, l in enumerate(logits))
        loss_box = sum(F.l1_loss(b, torch.stack([t["box"][i] for t in targets])) for i, b in enumerate(bbox_reg))
        loss_ctr = sum(F.binary_cross_entropy_with_logits(c, torch.stack([t["ctr"][i] for t in targets]))
                       for i, c in enumerate(ctrness))
        return {"loss_fcos_cls": loss_cls, "loss_fcos_loc": loss_box, "loss_fcos_ctr": loss_ctr}


def build_model(cfg):
    model = FCOS(cfg)
    model.to(torch.device(cfg["MODEL"]["DEVICE"]))
    return model
