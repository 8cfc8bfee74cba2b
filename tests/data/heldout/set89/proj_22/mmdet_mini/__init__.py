from .builder import BACKBONES, NECKS, HEADS, DETECTORS, build_detector
from . import backbones, necks, heads, detector  # noqa: F401  (register modules)

__all__ = ['BACKBONES', 'NECKS', 'HEADS', 'DETECTORS', 'build_detector']
