import torch.nn as nn


class BNInception(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        inplace = True
        self.conv1_7x7_s2 = nn.Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3))
        self.conv1_7x7_s2_bn = nn.BatchNorm2d(64, eps=1e-05, momentum=0.9, affine=True)
        self.conv1_relu_7x7 = nn.ReLU(inplace)
        self.pool1_3x3_s2 = nn.MaxPool2d((3, 3), stride=(2, 2), dilation=(1, 1), ceil_mode=True)
        self.conv2_3x3_reduce = nn.Conv2d(64, 64, kernel_size=(1, 1), stride=(1, 1))
        self.conv2_3x3_reduce_bn = nn.BatchNorm2d(64, eps=1e-05, momentum=0.9, affine=True)
        self.conv2_relu_3x3_reduce = nn.ReLU(inplace)
        self.conv2_3x3 = nn.Conv2d(64, 192, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        self.conv2_3x3_bn = nn.BatchNorm2d(192, eps=1e-05, momentum=0.9, affine=True)
        self.conv2_relu_3x3 = nn.ReLU(inplace)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.last_linear = nn.Linear(192, num_classes)

    def features(self, x):
        x = self.conv1_relu_7x7(self.conv1_7x7_s2_bn(self.conv1_7x7_s2(x)))
        x = self.pool1_3x3_s2(x)
        x = self.conv2_relu_3x3_reduce(self.conv2_3x3_reduce_bn(self.conv2_3x3_reduce(x)))
        x = self.conv2_relu_3x3(self.conv2_3x3_bn(self.conv2_3x3(x)))
        return x

    def forward(self, x):
        x = self.global_pool(self.features(x))
        return self.last_linear(x.view(x.size(0), -1))
