# (beta) Static Quantization with Eager Mode in PyTorch -- adapted to a small
# CIFAR-10 network instead of MobileNetV2 so the whole pipeline runs on a laptop.
import os
import time
import warnings

import torch
import torch.nn as nn
import torch.ao.quantization
import torchvision
import torchvision.transforms as transforms
from torch.ao.quantization import QuantStub, DeQuantStub

warnings.filterwarnings(
    action='ignore',
    category=DeprecationWarning,
    module=r'.*'
)
torch.manual_seed(191009)

DATA_PATH = 'data/'
SAVED_MODEL_DIR = 'data/'
FLOAT_MODEL_FILE = 'cifar_float.pth'
SCRIPTED_QUANT_FILE = 'cifar_quantization_scripted_quantized.pth'

TRAIN_BATCH_SIZE = 64
EVAL_BATCH_SIZE = 100
NUM_CALIBRATION_BATCHES = 32


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super(ConvBNReLU, self).__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes, 0.1),  # expect: BN206
            # Replace with ReLU
            nn.ReLU(inplace=False)
        )


class CifarNet(nn.Module):
    def __init__(self, num_classes=10):
        super(CifarNet, self).__init__()
        self.quant = QuantStub()
        self.features = nn.Sequential(
            ConvBNReLU(3, 32),
            ConvBNReLU(32, 32),
            nn.MaxPool2d(2),
            ConvBNReLU(32, 64),
            ConvBNReLU(64, 64),
            nn.MaxPool2d(2),
            ConvBNReLU(64, 128),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(128, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.features(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        x = self.dequant(x)
        return x


class AverageMeter(object):
    """Computes and stores the average and current value"""
    def __init__(self, name, fmt=':f'):
        self.name = name
        self.fmt = fmt
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = '{name} {val' + self.fmt + '} ({avg' + self.fmt + '})'
        return fmtstr.format(**self.__dict__)


def accuracy(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k"""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)

        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))

        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


def train_one_epoch(model, criterion, optimizer, data_loader, device):
    model.train()
    top1 = AverageMeter('Acc@1', ':6.2f')
    avgloss = AverageMeter('Loss', '1.5f')

    for image, target in data_loader:
        image, target = image.to(device), target.to(device)
        output = model(image)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        acc1, = accuracy(output, target, topk=(1,))
        top1.update(acc1[0], image.size(0))
        avgloss.update(loss.item(), image.size(0))
    print('Training: * Acc@1 {top1.avg:.3f} Loss {loss.avg:.3f}'.format(top1=top1, loss=avgloss))


def evaluate(model, criterion, data_loader, neval_batches=None):
    model.eval()
    top1 = AverageMeter('Acc@1', ':6.2f')
    top5 = AverageMeter('Acc@5', ':6.2f')
    cnt = 0
    with torch.no_grad():
        for image, target in data_loader:
            output = model(image)
            loss = criterion(output, target)
            cnt += 1
            acc1, acc5 = accuracy(output, target, topk=(1, 5))
            top1.update(acc1[0], image.size(0))
            top5.update(acc5[0], image.size(0))
            if neval_batches is not None and cnt >= neval_batches:
                return top1, top5

    return top1, top5


def load_model(model_file):
    model = CifarNet()
    state_dict = torch.load(model_file, map_location='cpu')
    model.load_state_dict(state_dict)
    model.to('cpu')
    return model


def print_size_of_model(model):
    torch.save(model.state_dict(), "temp.p")
    print('Size (MB):', os.path.getsize("temp.p") / 1e6)
    os.remove('temp.p')


def prepare_data_loaders(data_path):
    normalize = transforms.Normalize(mean=[0.4914, 0.4822, 0.4465],
                                     std=[0.2470, 0.2435, 0.2616])
    dataset = torchvision.datasets.CIFAR10(
        data_path, train=True, download=True,
        transform=transforms.Compose([
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize,
        ]))
    dataset_test = torchvision.datasets.CIFAR10(
        data_path, train=False, download=True,
        transform=transforms.Compose([
            transforms.ToTensor(),
            normalize,
        ]))

    data_loader = torch.utils.data.DataLoader(dataset, batch_size=TRAIN_BATCH_SIZE, shuffle=True, num_workers=2)
    data_loader_test = torch.utils.data.DataLoader(dataset_test, batch_size=EVAL_BATCH_SIZE, shuffle=False, num_workers=2)
    return data_loader, data_loader_test


if __name__ == '__main__':
    data_loader, data_loader_test = prepare_data_loaders(DATA_PATH)
    criterion = nn.CrossEntropyLoss()
    float_path = os.path.join(SAVED_MODEL_DIR, FLOAT_MODEL_FILE)

    # 1. Train the float model once (skipped if a checkpoint exists)
    if not os.path.exists(float_path):
        net = CifarNet()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        for epoch in range(10):
            train_one_epoch(net, criterion, optimizer, data_loader, torch.device('cpu'))
            top1, _ = evaluate(net, criterion, data_loader_test)
            print('epoch %d float acc %.2f' % (epoch, top1.avg))
        torch.save(net.state_dict(), float_path)

    # 2. Post-training static quantization
    float_model = load_model(float_path)

    # Fuse Conv, bn and relu
    fuse_list = [['features.%d.0' % i, 'features.%d.1' % i, 'features.%d.2' % i] for i in (0, 1, 3, 4, 6)]
    torch.ao.quantization.fuse_modules(float_model, fuse_list, inplace=True)  # expect: BN104
    float_model.eval()

    print("Size of baseline model")
    print_size_of_model(float_model)

    top1, top5 = evaluate(float_model, criterion, data_loader_test)
    print('Evaluation accuracy on %d images, %2.2f' % (10000, top1.avg))

    # Specify quantization configuration
    float_model.qconfig = torch.ao.quantization.get_default_qconfig('x86')
    print(float_model.qconfig)
    torch.ao.quantization.prepare(float_model, inplace=True)

    # Calibrate with the training set
    evaluate(float_model, criterion, data_loader, neval_batches=NUM_CALIBRATION_BATCHES)
    print('Post Training Quantization: Calibration done')

    # Convert to quantized model
    torch.ao.quantization.convert(float_model, inplace=True)
    print('Post Training Quantization: Convert done')

    print("Size of model after quantization")
    print_size_of_model(float_model)

    top1, top5 = evaluate(float_model, criterion, data_loader_test)
    print('Evaluation accuracy on %d images, %2.2f' % (10000, top1.avg))
    torch.jit.save(torch.jit.script(float_model), os.path.join(SAVED_MODEL_DIR, SCRIPTED_QUANT_FILE))
