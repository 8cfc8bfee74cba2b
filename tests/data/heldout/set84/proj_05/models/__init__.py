from .backbone import ResNetLike
from .heads import DeconvHead, VisibilityHead
from .pose_net import PoseNet

__all__ = ["ResNetLike", "DeconvHead", "VisibilityHead", "PoseNet"]
