import argparse
import random
from typing import Callable, List, Optional

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

import utils
from autoencoder_pretrained import create_autoencoder
from data_loader import load_partition_data_cifar10
from utils import KL_Loss


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, layers: List[int], num_classes: int = 10,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, norm_layer=norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        features = x
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x, features

    def forward(self, x: Tensor):
        return self._forward_impl(x)


def resnet18(**kwargs) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


def resnet10(**kwargs) -> ResNet:
    return ResNet(BasicBlock, [1, 1, 1, 1], **kwargs)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.feature1 = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.feature2 = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(64, 48),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Sequential(nn.Linear(48, 10))

    def forward(self, x):
        x = self.feature1(x)
        feature = x
        x = self.feature2(x)
        x = self.fc(x)
        return x, feature


def create_model(model_name):
    model = None
    if model_name == "resnet18":
        model = resnet18(num_classes=10)
    elif model_name == 'resnet10':
        model = resnet10(num_classes=10)
    elif model_name == "cnn":
        model = Net()
    return model


def test_on_cloud(cloud_model, test_data_global, comm_round):
    if True:
        accTop1_avg = utils.RunningAverage()
        accTop5_avg = utils.RunningAverage()
        for batch_idx, (images, labels) in enumerate(test_data_global):
            images, labels = images.cuda(), labels.cuda()
            labels = torch.tensor(labels, dtype=torch.long)
            log_probs, extracted_features = cloud_model(images)
            metrics = utils.accuracy(log_probs, labels, topk=(1, 5))
            accTop1_avg.update(metrics[0].item())
            accTop5_avg.update(metrics[1].item())
        test_metrics = {
            'test_accTop1': accTop1_avg.value(),
            'test_accTop5': accTop5_avg.value(),
        }
        print("Test/AccTop1 in comm_round", comm_round, test_metrics['test_accTop1'])


def run_fedagg(client_models, edge_models, cloud_model, train_data_local_dict, test_data_global, args):
    V1 = [Node(args, cloud_model)]
    V2 = create_child_for_upper_level(args, V1, args.edge_number, edge_models)
    assert args.client_number % args.edge_number == 0
    V3 = create_child_for_upper_level(args, V2, args.client_number // args.edge_number, client_models)
    for idx, node in enumerate(V3):
        node.dataset = [_ for _ in train_data_local_dict[idx]]
    Init(V1[0])
    for comm_round in range(args.comm_round):
        train_FedAgg(V1[0], args)
        test_on_cloud(V1[0].model, test_data_global, comm_round)


class Node:
    def __init__(self, args, model, father=None):
        self.model = model.cuda()
        self.dataset = None
        self.father = father
        self.children = []
        self.autoencoder = create_autoencoder().cuda()
        self.noises = []
        self.labels = []
        self.args = args

    def is_leaf(self):
        return len(self.children) == 0

    def is_root(self):
        return self.father is None


def create_child_for_upper_level(args, upper_level, children_number, models):
    result = []
    for ele in upper_level:
        sub_nodes = []
        for _, model in zip(range(children_number), models):
            sub_nodes.append(Node(args, model, ele))
        ele.children = sub_nodes
        result.extend(sub_nodes)
    return result


def train_FedAgg(node, args):
    if node.is_root():
        for child in node.children:
            train_FedAgg(child, args)
    elif node.is_leaf():
        BSBODP(node, node.father, args)
    else:
        for child in node.children:
            train_FedAgg(child, args)
        BSBODP(node, node.father, args)


def Init(node):
    if node.is_root():
        for child in node.children:
            Init(child)
    elif node.is_leaf():
        for idx, data in enumerate(node.dataset):
            img, label = data
            img, label = img.cuda(), label.cuda()
            noise = node.autoencoder.encoder(img)
            node.noises.append(noise)
            node.labels.append(label)
        node.father.noises.extend(node.noises)
        node.father.labels.extend(node.labels)
    else:
        for child in node.children:
            Init(child)
        node.father.noises.extend(node.noises)
        node.father.labels.extend(node.labels)


def BSBODP(node1, node2, args):
    BSBODP_dir(node1, node2, args)
    BSBODP_dir(node2, node1, args)


class Loss_Non_Leaf(nn.Module):
    def __init__(self, temperature=1, alpha=10):
        super(Loss_Non_Leaf, self).__init__()
        self.alpha = alpha
        self.kl_loss_crit = KL_Loss(temperature)
        self.ce_loss_crit = nn.CrossEntropyLoss()

    def forward(self, output_batch, teacher_outputs, label):
        loss_ce = self.ce_loss_crit(output_batch, label.long())
        loss_kl = self.kl_loss_crit(output_batch, teacher_outputs.detach())
        return loss_ce + self.alpha * loss_kl


class Loss_Leaf(nn.Module):
    def __init__(self, temperature=1, alpha=1, alpha2=1):
        super(Loss_Leaf, self).__init__()
        self.alpha2 = alpha2
        self.non_leaf_loss_crit = Loss_Non_Leaf(temperature, alpha)
        self.ce_loss_crit = nn.CrossEntropyLoss()

    def forward(self, output_fake, teacher_outputs_fake, output_true, label):
        loss_leaf = self.non_leaf_loss_crit(output_fake, teacher_outputs_fake.detach(), label.long())
        loss_ce = self.ce_loss_crit(output_true, label.long())
        return loss_leaf + self.alpha2 * loss_ce


def BSBODP_dir(node_origin, node_neigh, args):
    noises = node_neigh.noises if len(node_neigh.noises) < len(node_origin.noises) else node_origin.noises
    labels = node_neigh.labels if len(node_neigh.labels) < len(node_origin.labels) else node_origin.labels
    crit_non_leaf = Loss_Non_Leaf(args.T_agg)
    crit_leaf = Loss_Leaf(args.T_agg)
    optimizer = torch.optim.SGD(node_origin.model.parameters(), lr=node_origin.args.lr, momentum=0.9)
    for idx, (noise, label) in enumerate(zip(noises, labels)):
        optimizer.zero_grad()
        fake_data = node_neigh.autoencoder.decoder(noise)
        nei_logits, _ = node_neigh.model(fake_data)
        logits_fake, _ = node_origin.model(fake_data)
        loss = 0.0
        if node_origin.is_leaf():
            img, label_ = node_origin.dataset[idx]
            img, label_ = img.cuda(), label_.cuda()
            logits_true, _ = node_origin.model(img)
            loss = loss + crit_leaf(logits_fake, nei_logits, logits_true, label.long())
        else:
            loss = loss + crit_non_leaf(logits_fake, nei_logits, label.long())
        loss.backward(retain_graph=True)
        optimizer.step()


def add_args(parser):
    parser.add_argument('--data_dir', type=str, default='./data', help='data directory')
    parser.add_argument('--batch_size', type=int, default=8, metavar='N',
                        help='input batch size for training (default: 8)')
    parser.add_argument('--comm_round', type=int, default=1000, metavar='N',
                        help='maximum communication rounds (default: 500)')
    parser.add_argument('--lr', type=float, default=0.001, metavar='LR',
                        help='learning rate (default: 0.01)')
    parser.add_argument('--client_number', type=int, default=225, metavar='NN',
                        help='number of workers in a distributed cluster')
    parser.add_argument('--edge_number', type=int, default=15, help='number of edges')
    parser.add_argument('--partition_method', type=str, default='hetero', metavar='N',
                        help='how to partition the dataset on local workers')
    parser.add_argument('--partition_alpha', type=float, default=3.0, metavar='PA',
                        help='partition alpha (default: 3.0)')
    parser.add_argument("--T_agg", type=float, default=3.0, help="T_agg")
    return parser.parse_args()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    args = add_args(parser)
    np.random.seed(0)
    torch.manual_seed(np.random.randint(5))
    dataset = load_partition_data_cifar10('cifar10', args.data_dir, args.partition_method,
                                          args.partition_alpha, args.client_number, args.batch_size)
    train_data_local_dict, test_data_global = dataset[6], dataset[3]
    random.seed(123)
    client_models = [create_model("cnn") for _ in range(args.client_number)]
    random.seed(456)
    edge_models = [create_model("resnet10") for _ in range(args.edge_number)]
    cloud_model = create_model("resnet18")
    run_fedagg(client_models, edge_models, cloud_model, train_data_local_dict, test_data_global, args)
