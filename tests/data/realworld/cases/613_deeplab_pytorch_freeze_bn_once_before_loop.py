import torch
import torch.nn as nn
from tqdm import tqdm

from libs.datasets import get_dataset
from libs.utils import PolynomialLR

try:
    from encoding.nn import SyncBatchNorm

    _BATCH_NORM = SyncBatchNorm
except:
    _BATCH_NORM = nn.BatchNorm2d


class _ConvBnReLU(nn.Sequential):
    BATCH_NORM = _BATCH_NORM

    def __init__(self, in_ch, out_ch, kernel_size, stride, padding, dilation, relu=True):
        super(_ConvBnReLU, self).__init__()
        self.add_module("conv", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, dilation, bias=False))
        self.add_module("bn", _BATCH_NORM(out_ch, eps=1e-5, momentum=1 - 0.999))
        if relu:
            self.add_module("relu", nn.ReLU())


class _ASPP(nn.Module):
    def __init__(self, in_ch, out_ch, rates):
        super(_ASPP, self).__init__()
        for i, rate in enumerate(rates):
            self.add_module("c{}".format(i),
                            nn.Conv2d(in_ch, out_ch, 3, 1, padding=rate, dilation=rate, bias=True))

    def forward(self, x):
        return sum([stage(x) for stage in self.children()])


class DeepLabV2(nn.Sequential):
    def __init__(self, n_classes, atrous_rates):
        super(DeepLabV2, self).__init__()
        self.add_module("layer1", _ConvBnReLU(3, 64, 7, 2, 3, 1))
        self.add_module("layer2", _ConvBnReLU(64, 256, 3, 1, 1, 1))
        self.add_module("aspp", _ASPP(256, n_classes, atrous_rates))

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, _ConvBnReLU.BATCH_NORM):
                m.eval()


def get_params(model, key):
    # For Dilated FCN
    if key == "1x":
        for m in model.named_modules():
            if "layer" in m[0]:
                if isinstance(m[1], nn.Conv2d):
                    for p in m[1].parameters():
                        yield p
    # For conv weight in the ASPP module
    if key == "10x":
        for m in model.named_modules():
            if "aspp" in m[0]:
                if isinstance(m[1], nn.Conv2d):
                    yield m[1].weight


def train(CONFIG, device):
    dataset = get_dataset(CONFIG.DATASET.NAME)(root=CONFIG.DATASET.ROOT, split="train", augment=True)
    loader = torch.utils.data.DataLoader(dataset=dataset, batch_size=CONFIG.SOLVER.BATCH_SIZE.TRAIN, shuffle=True)
    loader_iter = iter(loader)

    model = DeepLabV2(n_classes=CONFIG.DATASET.N_CLASSES, atrous_rates=[6, 12, 18, 24])
    model.load_state_dict(torch.load(CONFIG.MODEL.INIT_MODEL), strict=False)  # to skip ASPP
    model = nn.DataParallel(model)
    model.to(device)

    criterion = nn.CrossEntropyLoss(ignore_index=CONFIG.DATASET.IGNORE_LABEL)
    optimizer = torch.optim.SGD(
        params=[
            {"params": get_params(model.module, key="1x"), "lr": CONFIG.SOLVER.LR},
            {"params": get_params(model.module, key="10x"), "lr": 10 * CONFIG.SOLVER.LR},
        ],
        momentum=CONFIG.SOLVER.MOMENTUM,
    )
    scheduler = PolynomialLR(optimizer=optimizer, step_size=CONFIG.SOLVER.LR_DECAY,
                             iter_max=CONFIG.SOLVER.ITER_MAX, power=CONFIG.SOLVER.POLY_POWER)

    # Freeze the batch norm pre-trained on COCO
    model.train()
    model.module.freeze_bn()

    for iteration in tqdm(range(1, CONFIG.SOLVER.ITER_MAX + 1)):
        optimizer.zero_grad()
        try:
            _, images, labels = next(loader_iter)
        except StopIteration:
            loader_iter = iter(loader)
            _, images, labels = next(loader_iter)

        logits = model(images.to(device))
        iter_loss = criterion(logits, labels.to(device))
        iter_loss.backward()
        optimizer.step()
        scheduler.step(epoch=iteration)
