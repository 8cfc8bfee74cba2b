"""How the tracer names what it sees: module paths below the traced model (or the top-level
module called), and the construction site of each BatchNorm layer."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sys

from .report import Site
from .sites import SITES, fallback_site, frame_site, user_frame

if TYPE_CHECKING:  # pragma: no cover
    from .core import Tracer


class TraceNaming:
    """A part of ``Tracer`` (``tracer.naming``; its state lives in the tracer)."""

    def __init__(self, tracer: "Tracer") -> None:
        self.tracer = tracer

    # -- naming ---------------------------------------------------------------------------------

    def layer(self, module, root):
        layer = self.tracer._layers.get(id(module))
        if layer is not None and layer.ref() is module:
            return layer
        base = self.tracer.model if self.tracer.model is not None else root
        names = self.tracer._names.get(base)
        if names is None or id(module) not in names:
            names = self.tracer._names[base] = {id(m): (n, m) for n, m in base.named_modules()}
            if self.tracer.model is None and len(names) > 1:  # layers first seen under a smaller root get the longer path
                label = type(base).__name__
                for key, (n, m) in names.items():
                    known = self.tracer._layers.get(key)
                    if known is not None and known.ref() is m and n and known.name.count(".") < n.count(".") + 1:
                        known.name = f"{label}.{n}"
        entry = names.get(id(module))
        if entry is None and self.tracer.model is not None:
            return None  # not part of the traced model
        label = self.tracer.name if self.tracer.model is not None else type(base).__name__
        site = SITES.get(module)
        if entry is None or entry[1] is not module:
            path = type(module).__name__
        else:
            path = f"{label}.{entry[0]}" if entry[0] else label
            if site is None:
                site = fallback_site(module, entry[0], {n: m for n, m in names.values()})
        if site is None:  # created before tracing, by torch's own classes only: the first call's line
            frame = user_frame(sys._getframe(1))
            site = frame_site(frame) if frame is not None else Site("<unknown>", 1)
            site = Site(site.path, site.line, site.column, site.end_line, site.end_column, exact=False,
                        how="its first call")
        layer = self.tracer._layers[id(module)] = self.tracer._new_layer(module, path, site)
        if module is not None:
            self.tracer.steps.note_root(layer, base)
        return layer

    def module_path(self, module, root) -> str:
        """``<label>.<path>`` of any module of the traced model (its class name when not found)."""
        base = self.tracer.model if self.tracer.model is not None else root
        if module is None or base is None:
            return "?"
        names = self.tracer._names.get(base)
        if names is None or id(module) not in names:
            names = self.tracer._names[base] = {id(m): (n, m) for n, m in base.named_modules()}
        entry = names.get(id(module))
        label = self.tracer.name if self.tracer.model is not None else type(base).__name__
        if entry is None or entry[1] is not module:
            return type(module).__name__
        return f"{label}.{entry[0]}" if entry[0] else label
