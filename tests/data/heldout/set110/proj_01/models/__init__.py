from .net import SignNet, build_net

__all__ = ["SignNet", "build_net"]
