from .resnet1d import ResNet1d


def build_model(name, in_channels, num_classes, **kwargs):
    if name == "resnet1d":
        return ResNet1d(in_channels, num_classes, **kwargs)
    raise ValueError(f"unknown model {name!r}")


__all__ = ["ResNet1d", "build_model"]
