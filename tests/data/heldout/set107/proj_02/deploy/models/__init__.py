from .classifier import ShelfClassifier, build_model

__all__ = ["ShelfClassifier", "build_model"]
