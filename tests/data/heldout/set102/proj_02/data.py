from torchvision import datasets, transforms

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def cifar10(root, train):
    if train:
        tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    else:
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    return datasets.CIFAR10(root, train=train, download=False, transform=tf)
