import blocks  # noqa: F401
from registry import build_model

stem = build_model("stem", width=48)
