from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50

_MODELS = {
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
}


def build_model(arch, num_classes):
    if arch not in _MODELS:
        raise KeyError(f"unknown arch {arch!r}, choose from {sorted(_MODELS)}")
    return _MODELS[arch](num_classes=num_classes)
