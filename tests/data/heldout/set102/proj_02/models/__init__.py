from .resnet_cifar import ResNetCifar, build_model
