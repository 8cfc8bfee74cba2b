import torch
import torch.nn as nn
import torch.nn.functional as F


def get_reference_model(model_name: str, model_config=None) -> nn.Module:
    if model_name == 'tc_resnet_14':
        if model_config is None:
            model_config = {"input_channels": 10, "output_size": 12,
                            "num_channels": [49, 36, 36, 48, 48, 72, 72], "kernel_size": 9}
        return TCResNet14(model_config)
    elif model_name == 'ds_cnn':
        return DSCnn()
    raise ValueError(f"Unsupported model name {model_name}")


class TempBlock1(nn.Module):
    def __init__(self, ch_in, ch_out, k_size, dil, use_bias=True):
        super().__init__()
        self.pad0 = nn.ConstantPad1d(padding=((k_size[0] - 1) * dil[0], 0), value=0)
        self.tcn0 = nn.Conv1d(in_channels=ch_in[0], out_channels=ch_out[0], kernel_size=k_size[0],
                              dilation=dil[0], bias=use_bias)
        self.batchnorm0 = nn.BatchNorm1d(num_features=ch_out[0])
        self.relu0 = nn.ReLU()
        self.pad1 = nn.ConstantPad1d(padding=((k_size[1] - 1) * dil[1], 0), value=0)
        self.tcn1 = nn.Conv1d(in_channels=ch_in[1], out_channels=ch_out[1], kernel_size=k_size[1],
                              dilation=dil[1], bias=use_bias)
        self.batchnorm1 = nn.BatchNorm1d(num_features=ch_out[1])
        self.downsample = nn.Conv1d(in_channels=ch_in[0], out_channels=ch_out[1], kernel_size=(1,), bias=use_bias)
        self.downsamplebn = nn.BatchNorm1d(num_features=ch_out[1])
        self.reluadd = nn.ReLU()

    def forward(self, x):
        x1 = self.relu0(self.batchnorm0(self.tcn0(self.pad0(x))))
        x2 = self.batchnorm1(self.tcn1(self.pad1(x1)))
        res = F.relu(self.downsamplebn(self.downsample(x)))
        return self.reluadd(x2 + res)


class TCResNet14(nn.Module):
    def __init__(self, config):
        super().__init__()
        ch = config['num_channels']
        self.conv0 = nn.Conv1d(config['input_channels'], ch[0], kernel_size=(3,), bias=False)
        layers = []
        for i in range(1, len(ch)):
            layers.append(TempBlock1([ch[i - 1], ch[i]], [ch[i], ch[i]], [config['kernel_size']] * 2, [1, 1]))
        self.tcn = nn.Sequential(*layers)
        self.out = nn.Linear(ch[-1] * 3, config['output_size'])

    def forward(self, x):
        y = self.tcn(self.conv0(x))
        return F.log_softmax(self.out(F.avg_pool1d(y, 2).flatten(1)), dim=1)


class DSCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # Input pure conv2d
        self.inputlayer = nn.Conv2d(in_channels=1, out_channels=64, kernel_size=(10, 4), stride=(2, 2), padding=(5, 1))
        self.bn = nn.BatchNorm2d(64, momentum=0.99)
        self.relu = nn.ReLU()
        self.dropout1 = nn.Dropout(p=0.2)

        # First layer of separable depthwise conv2d
        self.depthwise1 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, padding=1, groups=64)
        self.pointwise1 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=1, stride=1, padding=0)
        self.bn11 = nn.BatchNorm2d(64, momentum=0.99)
        self.relu11 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=1, stride=1, padding=0)
        self.bn12 = nn.BatchNorm2d(64, momentum=0.99)
        self.relu12 = nn.ReLU()

        # Second layer of separable depthwise conv2d
        self.depthwise2 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, padding=1, groups=64)
        self.pointwise2 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=1, stride=1, padding=0)
        self.bn21 = nn.BatchNorm2d(64, momentum=0.99)
        self.relu21 = nn.ReLU()
        self.conv2 = nn.Conv2d(in_channels=64, out_channels=64, kernel_size=1, stride=1, padding=0)
        self.bn22 = nn.BatchNorm2d(64, momentum=0.99)
        self.relu22 = nn.ReLU()

        self.dropout2 = nn.Dropout(p=0.4)
        self.avgpool = torch.nn.AvgPool2d((25, 5))
        self.out = nn.Linear(64, 12)

    def forward(self, input):
        x = self.inputlayer(input)
        x = self.dropout1(self.relu(self.bn(x)))
        x = self.depthwise1(x)
        x = self.pointwise1(x)
        x = self.relu11(self.bn11(x))
        x = self.conv1(x)
        x = self.relu12(self.bn12(x))
        x = self.depthwise2(x)
        x = self.pointwise2(x)
        x = self.relu21(self.bn21(x))
        x = self.conv2(x)
        x = self.relu22(self.bn22(x))
        x = self.dropout2(x)
        x = self.avgpool(x)
        x = torch.squeeze(x)
        return self.out(x)
