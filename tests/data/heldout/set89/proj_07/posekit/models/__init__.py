from .pose_resnet import PoseResNet, get_pose_net

__all__ = ["PoseResNet", "get_pose_net"]
