import torch
import torch.nn as nn
from torchvision import models


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class StudentCNN(nn.Module):
    """VGG-ish student for 64x64 Tiny-ImageNet crops."""

    def __init__(self, num_classes=200, width=32):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            conv_bn_relu(3, w),
            conv_bn_relu(w, w * 2, stride=2),
            conv_bn_relu(w * 2, w * 4, stride=2),
            conv_bn_relu(w * 4, w * 8, stride=2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(w * 8, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_teacher(ckpt_path, num_classes=200, device="cpu"):
    """ResNet-50 fine-tuned on Tiny-ImageNet; returned frozen and in eval mode."""
    teacher = models.resnet50()
    teacher.fc = nn.Linear(teacher.fc.in_features, num_classes)
    teacher.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    teacher.to(device)
    teacher.eval()
    teacher.requires_grad_(False)
    return teacher
