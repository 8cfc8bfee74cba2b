"""Single-stage detector with a frozen-BatchNorm backbone (norm_eval style).

Forum question: "I set requires_grad=False on all BN layers of my backbone,
is that enough to freeze them?"  Answer from the thread: no -- running stats
are still updated in train mode. This version overrides train() so that
model.train() keeps every BatchNorm in eval mode (same idea as detectron2 /
mmdetection `norm_eval=True`), then traces the model for deployment.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from det_utils import DetectionDataset, collate_fn, focal_loss  # project-local helpers

NUM_CLASSES = 20
NUM_ANCHORS = 9


class FrozenBNBackbone(nn.Module):
    def __init__(self, freeze_bn=True):
        super().__init__()
        self.freeze_bn = freeze_bn
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64, 1e-3),  # eps=1e-3 (positional), matches the TF checkpoint
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.stage1 = nn.Sequential(
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128, eps=1e-3, momentum=0.03),
            nn.ReLU(inplace=True),
        )
        self.stage2 = nn.Sequential(
            nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256, eps=1e-3, momentum=0.03),
            nn.ReLU(inplace=True),
        )
        if freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        return self.stage2(self.stage1(self.stem(x)))


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = FrozenBNBackbone(freeze_bn=True)
        self.cls_head = nn.Conv2d(256, NUM_ANCHORS * NUM_CLASSES, 3, padding=1)
        self.box_head = nn.Conv2d(256, NUM_ANCHORS * 4, 3, padding=1)

    def forward(self, x):
        f = self.backbone(x)
        return self.cls_head(f), self.box_head(f)


if __name__ == "__main__":
    model = Detector().cuda()
    model.backbone.load_state_dict(torch.load("backbone_imagenet.pth"), strict=False)
    loader = DataLoader(DetectionDataset("data/voc", "trainval"), batch_size=8, shuffle=True,
                        num_workers=4, collate_fn=collate_fn)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)

    for epoch in range(24):
        model.train()
        for images, targets in loader:
            cls_out, box_out = model(images.cuda())
            loss = focal_loss(cls_out, box_out, targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")

    model.eval()
    example = torch.randn(1, 3, 512, 512, device="cuda")
    traced = torch.jit.trace(model, example)
    traced.save("detector_ts.pt")
