"""d2lite: a stripped-down detectron2-style codebase (FCOS only)."""
__version__ = "0.1.0"
