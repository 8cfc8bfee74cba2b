import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml
from torch.utils import data

from ptsemseg.loader import get_loader
from ptsemseg.loss import get_loss_function


class conv2DBatchNormRelu(nn.Module):
    def __init__(self, in_channels, n_filters, k_size, stride, padding, bias=True, dilation=1, is_batchnorm=True):
        super(conv2DBatchNormRelu, self).__init__()
        conv_mod = nn.Conv2d(int(in_channels), int(n_filters), kernel_size=k_size, padding=padding,
                             stride=stride, bias=bias, dilation=dilation)
        if is_batchnorm:
            self.cbr_unit = nn.Sequential(conv_mod, nn.BatchNorm2d(int(n_filters)), nn.ReLU(inplace=True))
        else:
            self.cbr_unit = nn.Sequential(conv_mod, nn.ReLU(inplace=True))

    def forward(self, inputs):
        return self.cbr_unit(inputs)


class pyramidPooling(nn.Module):
    def __init__(self, in_channels, pool_sizes, model_name="pspnet", is_batchnorm=True):
        super(pyramidPooling, self).__init__()
        bias = not is_batchnorm
        self.paths = []
        for i in range(len(pool_sizes)):
            self.paths.append(conv2DBatchNormRelu(in_channels, int(in_channels / len(pool_sizes)), 1, 1, 0,
                                                  bias=bias, is_batchnorm=is_batchnorm))
        self.path_module_list = nn.ModuleList(self.paths)
        self.pool_sizes = pool_sizes
        self.model_name = model_name

    def forward(self, x):
        h, w = x.shape[2:]
        k_sizes = [(int(h / pool_size), int(w / pool_size)) for pool_size in self.pool_sizes]
        output_slices = [x]
        for i, (module, pool_size) in enumerate(zip(self.path_module_list, self.pool_sizes)):
            out = F.avg_pool2d(x, k_sizes[i], stride=k_sizes[i], padding=0)
            out = module(out)
            out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=True)
            output_slices.append(out)
        return torch.cat(output_slices, dim=1)


class pspnet(nn.Module):
    def __init__(self, n_classes=21, block_config=[3, 4, 23, 3], input_size=(473, 473), version=None):
        super(pspnet, self).__init__()
        self.n_classes = n_classes
        self.convbnrelu1_1 = conv2DBatchNormRelu(in_channels=3, k_size=3, n_filters=64, padding=1, stride=2, bias=False)
        # (residualBlockPSP stages trimmed: they take the 64 channels to 2048)
        self.convbnrelu1_2 = conv2DBatchNormRelu(in_channels=64, k_size=3, n_filters=2048, padding=1, stride=8, bias=False)
        self.pyramid_pooling = pyramidPooling(2048, [6, 3, 2, 1])
        self.cbr_final = conv2DBatchNormRelu(4096, 512, 3, 1, 1, False)
        self.dropout = nn.Dropout2d(p=0.1, inplace=False)
        self.classification = nn.Conv2d(512, self.n_classes, 1, 1, 0)

    def forward(self, x):
        inp_shape = x.shape[2:]
        x = self.convbnrelu1_2(self.convbnrelu1_1(x))
        x = self.pyramid_pooling(x)
        x = self.dropout(self.cbr_final(x))
        x = self.classification(x)
        return F.interpolate(x, size=inp_shape, mode="bilinear", align_corners=True)


def get_model(model_dict, n_classes):
    name = model_dict["arch"]
    model = {"pspnet": pspnet}[name]
    param_dict = {k: v for k, v in model_dict.items() if k != "arch"}
    return model(n_classes=n_classes, **param_dict)


def train(cfg):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data_loader = get_loader(cfg["data"]["dataset"])
    t_loader = data_loader(cfg["data"]["path"], is_transform=True, split=cfg["data"]["train_split"],
                           img_size=(cfg["data"]["img_rows"], cfg["data"]["img_cols"]))
    n_classes = t_loader.n_classes
    trainloader = data.DataLoader(
        t_loader,
        batch_size=cfg["training"]["batch_size"],
        num_workers=cfg["training"]["n_workers"],
        shuffle=True,
    )
    model = get_model(cfg["model"], n_classes).to(device)
    model = torch.nn.DataParallel(model, device_ids=range(torch.cuda.device_count()))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0e-10, momentum=0.99)
    loss_fn = get_loss_function(cfg)

    i = 0
    while i <= cfg["training"]["train_iters"]:
        for (images, labels) in trainloader:
            i += 1
            model.train()
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = model(images)
            loss = loss_fn(input=outputs, target=labels)
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="config")
    parser.add_argument("--config", nargs="?", type=str, default="configs/pspnet_pascal.yml")
    args = parser.parse_args()
    with open(args.config) as fp:
        cfg = yaml.load(fp)
    train(cfg)
