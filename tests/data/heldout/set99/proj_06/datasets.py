import torch
import torchvision
import torchvision.transforms as T
from PIL import ImageFilter
import random


class GaussianBlur(object):
    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, x):
        return x.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


class TwoCropsTransform(object):
    """Take two random crops of one image as the query and key."""

    def __init__(self, base_transform):
        self.base_transform = base_transform

    def __call__(self, x):
        return [self.base_transform(x), self.base_transform(x)]


def ssl_transform(dataset):
    if dataset == 'cifar10':
        mean, std, size = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), 32
        blur = []
    else:
        mean, std, size = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 224
        blur = [T.RandomApply([GaussianBlur()], p=0.5)]
    return T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        *blur,
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(mean, std),
    ])


def eval_transform(dataset):
    if dataset == 'cifar10':
        return T.Compose([T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465),
                                                    (0.2470, 0.2435, 0.2616))])
    return T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                      T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])


def build_datasets(name, root):
    if name == 'cifar10':
        train = torchvision.datasets.CIFAR10(root, train=True, download=True,
                                             transform=TwoCropsTransform(ssl_transform(name)))
        memory = torchvision.datasets.CIFAR10(root, train=True, download=True,
                                              transform=eval_transform(name))
        test = torchvision.datasets.CIFAR10(root, train=False, download=True,
                                            transform=eval_transform(name))
    else:
        train = torchvision.datasets.ImageFolder(root + '/train',
                                                 TwoCropsTransform(ssl_transform(name)))
        memory = torchvision.datasets.ImageFolder(root + '/train', eval_transform(name))
        test = torchvision.datasets.ImageFolder(root + '/val', eval_transform(name))
    return train, memory, test
