from .blocks import ResBlock3d, UpBlock3d, conv1x1x1, conv3x3x3
from .unet3d import ResUNet3d, build_unet3d, encoder_parameters, load_for_inference

__all__ = [
    "ResBlock3d", "UpBlock3d", "conv1x1x1", "conv3x3x3",
    "ResUNet3d", "build_unet3d", "encoder_parameters", "load_for_inference",
]
