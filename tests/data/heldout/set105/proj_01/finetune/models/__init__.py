from .transfer import TransferNet, build_model

__all__ = ["TransferNet", "build_model"]
