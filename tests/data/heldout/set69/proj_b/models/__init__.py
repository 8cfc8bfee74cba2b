"""Registries and builders.

    @BACKBONES.register("resnet18_cifar")
    def resnet18_cifar(**kw): ...

`build_model(cfg)` assembles backbone + projector + predictor into the
registered self-supervised architecture.
"""


class Registry:
    def __init__(self, name):
        self.name = name
        self._items = {}

    def register(self, key=None):
        def deco(obj):
            k = key or obj.__name__
            if k in self._items:
                raise KeyError(f"{self.name}: {k} already registered")
            self._items[k] = obj
            return obj
        return deco

    def get(self, key):
        if key not in self._items:
            raise KeyError(f"{self.name}: {key} not registered (have {sorted(self._items)})")
        return self._items[key]

    def build(self, cfg, **extra):
        cfg = dict(cfg)
        obj = self.get(cfg.pop("type"))
        cfg.update(extra)
        return obj(**cfg)

    def __contains__(self, key):
        return key in self._items


BACKBONES = Registry("backbone")
HEADS = Registry("head")
ARCHS = Registry("arch")


def build_backbone(cfg):
    return BACKBONES.build(cfg)


def build_model(cfg):
    backbone = build_backbone(cfg["backbone"])
    projector = HEADS.build(cfg["projector"], in_dim=backbone.out_dim)
    predictor = HEADS.build(cfg["predictor"], dim=cfg["projector"]["out_dim"])
    return ARCHS.get(cfg["arch"])(backbone, projector, predictor)


from . import backbones, heads  # noqa: E402,F401
