from .segnet import ASPPSegNet, build_model

__all__ = ["ASPPSegNet", "build_model"]
