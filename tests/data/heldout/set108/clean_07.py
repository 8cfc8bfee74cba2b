"""Post-training static quantization of MobileNetV2 (eager mode).

Condensed from the PyTorch "Static Quantization with Eager Mode" tutorial:
per-tensor and per-channel qconfigs, plus a hand-fused float baseline for
comparing latency.
"""
import copy
import os
import time

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as transforms
from torch.ao.quantization import DeQuantStub, QuantStub
from torch.nn.utils.fusion import fuse_conv_bn_eval

DATA_PATH = 'data/imagenet_1k'
SAVED_MODEL_DIR = 'data/'
FLOAT_MODEL_FILE = 'mobilenet_pretrained_float.pth'

TRAIN_BATCH_SIZE = 30
EVAL_BATCH_SIZE = 50
NUM_EVAL_BATCHES = 1000 // EVAL_BATCH_SIZE
NUM_CALIBRATION_BATCHES = 32


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super(ConvBNReLU, self).__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes, momentum=0.1),
            nn.ReLU(inplace=False)
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super(InvertedResidual, self).__init__()
        self.stride = stride
        assert stride in [1, 2]

        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup

        layers = []
        if expand_ratio != 1:
            # pw
            layers.append(ConvBNReLU(inp, hidden_dim, kernel_size=1))
        layers.extend([
            # dw
            ConvBNReLU(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
            # pw-linear
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup, momentum=0.1),
        ])
        self.conv = nn.Sequential(*layers)
        # Replace torch.add with floatfunctional
        self.skip_add = nn.quantized.FloatFunctional()

    def forward(self, x):
        if self.use_res_connect:
            return self.skip_add.add(x, self.conv(x))
        else:
            return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8):
        super(MobileNetV2, self).__init__()
        block = InvertedResidual
        input_channel = 32
        last_channel = 1280

        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]

        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features = [ConvBNReLU(3, input_channel, stride=2)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(block(input_channel, output_channel, stride, expand_ratio=t))
                input_channel = output_channel
        features.append(ConvBNReLU(input_channel, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.quant = QuantStub()
        self.dequant = DeQuantStub()
        self.classifier = nn.Sequential(
            nn.Dropout(0.2),
            nn.Linear(self.last_channel, num_classes),
        )

    def forward(self, x):
        x = self.quant(x)
        x = self.features(x)
        x = x.mean([2, 3])
        x = self.classifier(x)
        x = self.dequant(x)
        return x

    # Fuse Conv+BN and Conv+BN+Relu modules prior to quantization
    # This operation does not change the numerics
    def fuse_model(self):
        for m in self.modules():
            if type(m) == ConvBNReLU:
                torch.ao.quantization.fuse_modules(m, ['0', '1', '2'], inplace=True)
            if type(m) == InvertedResidual:
                for idx in range(len(m.conv)):
                    if type(m.conv[idx]) == nn.Conv2d:
                        torch.ao.quantization.fuse_modules(m.conv, [str(idx), str(idx + 1)], inplace=True)


def accuracy(output, target, topk=(1,)):
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        return [correct[:k].reshape(-1).float().sum(0, keepdim=True).mul_(100.0 / batch_size) for k in topk]


def evaluate(model, data_loader, neval_batches):
    model.eval()
    hits, seen, cnt = 0.0, 0, 0
    with torch.no_grad():
        for image, target in data_loader:
            output = model(image)
            acc1, = accuracy(output, target, topk=(1,))
            hits += acc1.item() * image.size(0) / 100.0
            seen += image.size(0)
            cnt += 1
            if cnt >= neval_batches:
                break
    return 100.0 * hits / max(seen, 1)


def load_model(model_file):
    model = MobileNetV2()
    state_dict = torch.load(model_file, map_location='cpu')
    model.load_state_dict(state_dict)
    model.to('cpu')
    model.eval()
    return model


def print_size_of_model(model):
    torch.save(model.state_dict(), "temp.p")
    print('Size (MB):', os.path.getsize("temp.p") / 1e6)
    os.remove('temp.p')


def prepare_data_loaders(data_path):
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    dataset = torchvision.datasets.ImageNet(
        data_path, split="train",
        transform=transforms.Compose([
            transforms.RandomResizedCrop(224),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize,
        ]))
    dataset_test = torchvision.datasets.ImageNet(
        data_path, split="val",
        transform=transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            normalize,
        ]))

    train_sampler = torch.utils.data.RandomSampler(dataset)
    test_sampler = torch.utils.data.SequentialSampler(dataset_test)

    data_loader = torch.utils.data.DataLoader(dataset, batch_size=TRAIN_BATCH_SIZE, sampler=train_sampler)
    data_loader_test = torch.utils.data.DataLoader(dataset_test, batch_size=EVAL_BATCH_SIZE, sampler=test_sampler)
    return data_loader, data_loader_test


def hand_fuse_first_block(model):
    """Float-only baseline: fold BN of the stem into its conv."""
    fused = copy.deepcopy(model)
    stem = fused.features[0]
    stem[0] = fuse_conv_bn_eval(stem[0], stem[1])
    stem[1] = nn.Identity()
    return fused


def time_model(model, data_loader, n=10):
    model.eval()
    start = time.time()
    with torch.inference_mode():
        for i, (image, _) in enumerate(data_loader):
            model(image)
            if i + 1 >= n:
                break
    return (time.time() - start) / n


if __name__ == '__main__':
    data_loader, data_loader_test = prepare_data_loaders(DATA_PATH)
    float_model_file = os.path.join(SAVED_MODEL_DIR, FLOAT_MODEL_FILE)

    float_model = load_model(float_model_file)
    baseline = hand_fuse_first_block(float_model)
    print('baseline latency %.4fs/batch' % time_model(baseline, data_loader_test))

    # Fuses modules (model is already in eval mode, see load_model)
    float_model.fuse_model()
    print_size_of_model(float_model)
    top1 = evaluate(float_model, data_loader_test, neval_batches=NUM_EVAL_BATCHES)
    print('Fused float model: %2.2f' % top1)

    # --- per-tensor quantization
    myModel = load_model(float_model_file)
    myModel.fuse_model()
    myModel.qconfig = torch.ao.quantization.default_qconfig
    torch.ao.quantization.prepare(myModel, inplace=True)
    evaluate(myModel, data_loader, neval_batches=NUM_CALIBRATION_BATCHES)
    torch.ao.quantization.convert(myModel, inplace=True)
    top1 = evaluate(myModel, data_loader_test, neval_batches=NUM_EVAL_BATCHES)
    print('Per-tensor quantized: %2.2f' % top1)

    # --- per-channel quantization
    per_channel_quantized_model = load_model(float_model_file)
    per_channel_quantized_model.eval()
    per_channel_quantized_model.fuse_model()
    per_channel_quantized_model.qconfig = torch.ao.quantization.get_default_qconfig('x86')
    torch.ao.quantization.prepare(per_channel_quantized_model, inplace=True)
    evaluate(per_channel_quantized_model, data_loader, NUM_CALIBRATION_BATCHES)
    torch.ao.quantization.convert(per_channel_quantized_model, inplace=True)
    top1 = evaluate(per_channel_quantized_model, data_loader_test, neval_batches=NUM_EVAL_BATCHES)
    print('Per-channel quantized: %2.2f' % top1)
    torch.jit.save(torch.jit.script(per_channel_quantized_model), os.path.join(SAVED_MODEL_DIR, 'mobilenet_quantization_scripted_quantized.pth'))
