from .resnet_small import BasicBlock, SmallResNet, small_resnet

__all__ = ["BasicBlock", "SmallResNet", "small_resnet"]
