"""posekit: SimpleBaseline-style top-down human pose estimation."""
__version__ = "0.2.0"
