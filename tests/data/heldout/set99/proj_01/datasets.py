import numpy as np
import torch
import torchvision
import torchvision.transforms as T

CIFAR_STATS = {
    'cifar10': ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    'cifar100': ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


class Cutout(object):
    """Randomly mask out one or more patches from an image (DeVries & Taylor, 2017)."""

    def __init__(self, n_holes=1, length=16):
        self.n_holes = n_holes
        self.length = length

    def __call__(self, img):
        h, w = img.size(1), img.size(2)
        mask = np.ones((h, w), np.float32)
        for _ in range(self.n_holes):
            y = np.random.randint(h)
            x = np.random.randint(w)
            y1 = np.clip(y - self.length // 2, 0, h)
            y2 = np.clip(y + self.length // 2, 0, h)
            x1 = np.clip(x - self.length // 2, 0, w)
            x2 = np.clip(x + self.length // 2, 0, w)
            mask[y1:y2, x1:x2] = 0.
        mask = torch.from_numpy(mask).expand_as(img)
        return img * mask


def build_transforms(dataset, train, cutout=0, autoaugment=False):
    mean, std = CIFAR_STATS[dataset]
    if not train:
        return T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    ops = [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()]
    if autoaugment:
        ops.append(T.AutoAugment(T.AutoAugmentPolicy.CIFAR10))
    ops += [T.ToTensor(), T.Normalize(mean, std)]
    if cutout > 0:
        ops.append(Cutout(n_holes=1, length=cutout))
    return T.Compose(ops)


def build_dataset(name, root, train, cutout=0, autoaugment=False):
    transform = build_transforms(name, train, cutout=cutout, autoaugment=autoaugment)
    if name == 'cifar10':
        ds = torchvision.datasets.CIFAR10(root=root, train=train, download=True, transform=transform)
        num_classes = 10
    elif name == 'cifar100':
        ds = torchvision.datasets.CIFAR100(root=root, train=train, download=True, transform=transform)
        num_classes = 100
    else:
        raise ValueError('unknown dataset: {}'.format(name))
    return ds, num_classes
