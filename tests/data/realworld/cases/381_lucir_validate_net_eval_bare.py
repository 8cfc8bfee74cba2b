import argparse
import copy
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn import init
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader
from continuum import ClassIncremental

from utils.AverageMeter import AverageMeter
from utils.utils import accuracy, extract_batch_from_memory, getTransform, get_dataset
from loss.less_forget import EmbeddingsSimilarity
from loss.margin_lucir import ucir_ranking


class DownsampleA(nn.Module):
    def __init__(self, nIn, nOut, stride):
        super(DownsampleA, self).__init__()
        assert stride == 2
        self.avg = nn.AvgPool2d(kernel_size=1, stride=stride)

    def forward(self, x):
        x = self.avg(x)
        return torch.cat((x, x.mul(0)), 1)


class ResNetBasicblock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super(ResNetBasicblock, self).__init__()

        self.conv_a = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn_a = nn.BatchNorm2d(planes)

        self.conv_b = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn_b = nn.BatchNorm2d(planes)

        self.downsample = downsample
        self.featureSize = 64

    def forward(self, x):
        residual = x

        basicblock = self.conv_a(x)
        basicblock = self.bn_a(basicblock)
        basicblock = F.relu(basicblock, inplace=True)

        basicblock = self.conv_b(basicblock)
        basicblock = self.bn_b(basicblock)

        if self.downsample is not None:
            residual = self.downsample(x)

        return F.relu(residual + basicblock, inplace=True)


class CifarResNet(nn.Module):
    def __init__(self, block, depth, num_classes, channels=3):
        super(CifarResNet, self).__init__()

        self.featureSize = 64
        assert (depth - 2) % 6 == 0, 'depth should be one of 20, 32, 44, 56, 110'
        layer_blocks = (depth - 2) // 6

        self.num_classes = num_classes

        self.conv_1_3x3 = nn.Conv2d(channels, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn_1 = nn.BatchNorm2d(16)

        self.inplanes = 16
        self.stage_1 = self._make_layer(block, 16, layer_blocks, 1)
        self.stage_2 = self._make_layer(block, 32, layer_blocks, 2)
        self.stage_3 = self._make_layer(block, 64, layer_blocks, 2)
        self.avgpool = nn.AvgPool2d(8)
        self.out_dim = 64 * block.expansion

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / n))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                init.kaiming_normal_(m.weight)
                m.bias.data.zero_()

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = DownsampleA(self.inplanes, planes * block.expansion, stride)

        layers = []
        layers.append(block(self.inplanes, planes, stride, downsample))
        self.inplanes = planes * block.expansion
        for i in range(1, blocks):
            layers.append(block(self.inplanes, planes))

        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv_1_3x3(x)
        x = F.relu(self.bn_1(x), inplace=True)
        x = self.stage_1(x)
        x = self.stage_2(x)
        x = self.stage_3(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        return x


def resnet32(num_classes=10):
    model = CifarResNet(ResNetBasicblock, 32, num_classes)
    return model


class Incremental_ResNet(nn.Module):
    def __init__(self, backbone="resnet32", starting_classes=10, cosine=True):
        super(Incremental_ResNet, self).__init__()
        self.cosine = cosine
        self.backbone = resnet32(num_classes=starting_classes)
        self.feat_size = self.backbone.out_dim
        if self.cosine:
            self.fc1 = nn.Linear(self.feat_size, starting_classes, bias=False)
        else:
            self.fc1 = nn.Linear(self.feat_size, starting_classes, bias=True)
        self.eta = nn.Parameter(torch.randn(1))

    def forward(self, x):
        x = self.backbone(x)

        if self.cosine:
            x_norm = F.normalize(x, p=2, dim=1)
            with torch.no_grad():
                self.fc1.weight.div_(torch.norm(self.fc1.weight, dim=1, keepdim=True))
            y = self.eta * self.fc1(x_norm)
        else:
            y = self.fc1(x)

        return x, y

    def expand_classes(self, new_classes):
        old_classes = self.fc1.weight.data.shape[0]
        old_weight = self.fc1.weight.data
        self.fc1 = nn.Linear(self.feat_size, old_classes + new_classes, bias=False)
        self.fc1.weight.data[:old_classes] = old_weight


__factory = {
    'imagenet': "resnet18",
    'cifar100': "resnet32"
}


def create(dataset, classes, cosine):
    if dataset not in __factory.keys():
        raise KeyError(f"Unknown Model: {dataset}")
    return Incremental_ResNet(__factory[dataset], starting_classes=classes, cosine=cosine)


def l2_norm(input, axis=1):
    norm = torch.norm(input, 2, axis, True)
    output = torch.div(input, norm)
    return output


def train(args, loader_train, loader_memory, net, task_id, criterion_cls, previous_net, optimizer, epoch, lamda, scheduler_lr):
    acc_meter = AverageMeter()
    loss_meter = AverageMeter()
    net.train()
    memory_iterator = iter(loader_memory) if (task_id > 0 and args.exR) else None
    for batch_id, (inputs, targets, t) in enumerate(loader_train):
        if memory_iterator is not None:
            inputs_from_memory, targets_from_memory, memory_iterator = extract_batch_from_memory(memory_iterator, loader_memory, args.batch_size // 2)
            inputs = torch.cat((inputs, inputs_from_memory))
            targets = torch.cat((targets, targets_from_memory))
        inputs, targets = inputs.cuda(), targets.cuda()
        feature, output = net(inputs)
        loss = criterion_cls(output, targets)
        if task_id > 0 and previous_net is not None:
            with torch.no_grad():
                feature_old, output_old = previous_net(inputs)
            if args.less_forg:
                loss_less_forget = EmbeddingsSimilarity(l2_norm(feature_old), l2_norm(feature))
                loss += lamda * loss_less_forget
        if args.ranking:
            loss_margin = ucir_ranking(logits=output, targets=targets, task_size=args.increment,
                                       nb_negatives=max(2, args.increment), margin=0.5)
            loss += loss_margin
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler_lr.step()
        acc_training = accuracy(output, targets, topk=(1,))
        acc_meter.update(acc_training[0].item(), inputs.size(0))
        loss_meter.update(loss.item(), inputs.size(0))


def validate(net, val_loader):
    criterion = nn.CrossEntropyLoss()
    acc_meter = AverageMeter()
    loss_meter = AverageMeter()

    net.cuda()
    net.eval
    with torch.no_grad():
        for batch_id, (inputs, targets, t) in enumerate(val_loader):
            inputs, targets = inputs.cuda(), targets.cuda()
            _, output = net(inputs)
            acc_val = accuracy(output, targets, topk=(1,))
            loss = criterion(output, targets)
            acc_meter.update(acc_val[0].item(), inputs.size(0))
            loss_meter.update(loss.item(), inputs.size(0))
    return acc_meter.avg, loss_meter.avg


def extract_features(args, net, loader):
    features = None
    net.cuda()
    net.eval()

    with torch.no_grad():
        for inputs, targets in loader:
            inputs = inputs.cuda()
            f, _ = net(inputs)
            if features is not None:
                features = torch.cat((features, f), 0)
            else:
                features = f

    return features.detach().cpu().numpy()


scheduling = [80, 120]

parser = argparse.ArgumentParser(description='Learning unified classifier via rebalancing')
parser.add_argument('--dataset', type=str, default="cifar100")
parser.add_argument('--start', type=int, default=50)
parser.add_argument('--increment', type=int, default=10)
parser.add_argument('--batch_size', type=int, default=128)
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--momentum', type=float, default=0.9)
parser.add_argument('--epochs', type=int, default=160)
parser.add_argument('--lamda_base', type=float, default=5.0)
parser.add_argument('--gamma', type=float, default=0.1)
parser.add_argument('--weight_decay', type=float, default=5e-4)
parser.add_argument("--exR", action="store_true", default=True)
parser.add_argument("--cosine", action="store_true", default=True)
parser.add_argument("--less_forg", action="store_true", default=True)
parser.add_argument("--ranking", action="store_true", default=True)

if __name__ == "__main__":
    args = parser.parse_args()
    model = create("cifar100", args.start, args.cosine)
    model.cuda()
    dataset_train, dataset_test = get_dataset(args.dataset)
    train_transform, val_transform, test_transform = getTransform(args.dataset)

    scenario_train = ClassIncremental(dataset_train, increment=args.increment, initial_increment=args.start)
    scenario_val = ClassIncremental(dataset_test, increment=args.increment, initial_increment=args.start)

    criterion_cls = nn.CrossEntropyLoss()
    previous_net = None
    accs = []
    for task_id, train_taskset in enumerate(scenario_train):
        print(f"TASK {task_id}")
        val_taskset = scenario_val[:task_id + 1]
        val_loader = DataLoader(val_taskset, batch_size=args.batch_size, shuffle=True)
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
        scheduler_lr = MultiStepLR(optimizer, milestones=scheduling, gamma=args.gamma)
        train_loader = DataLoader(train_taskset, batch_size=args.batch_size, shuffle=True)
        memory_loader = None
        lamda = None if task_id == 0 else args.lamda_base * np.sqrt(
            train_taskset.nb_classes / scenario_train[:task_id].nb_classes)
        for epoch in range(args.epochs):
            train(args, train_loader, memory_loader, model, task_id, criterion_cls, previous_net, optimizer, epoch, lamda, scheduler_lr)
            acc_val, loss_val = validate(model, val_loader=val_loader)
            print(f"VALIDATION \t Epoch: {epoch}/{args.epochs}\t loss: {loss_val}\t acc: {acc_val}")
        accs.append(acc_val)
        if task_id < scenario_train.nb_tasks - 1:
            previous_net = copy.deepcopy(model)
            model.expand_classes(scenario_train.nb_classes)
            model.cuda()
    print(accs)
