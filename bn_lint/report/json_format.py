"""A JSON array of finding objects."""
from __future__ import annotations

import json
from typing import TextIO

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    json.dump([f.to_dict() for f in findings], stream, indent=2)
    stream.write("\n")
