"""表面欠陥検出 (多ラベル) — 分散学習版。

    torchrun --nproc_per_node=8 -m proj_02.train
"""
from .model import 欠陥検出器, build_model

__all__ = ["欠陥検出器", "build_model"]
