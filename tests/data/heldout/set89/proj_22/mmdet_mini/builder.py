class Registry:
    def __init__(self, name):
        self.name = name
        self._module_dict = {}

    def get(self, key):
        return self._module_dict.get(key)

    def register_module(self, name=None):
        def _register(cls):
            key = name or cls.__name__
            if key in self._module_dict:
                raise KeyError(f'{key} is already registered in {self.name}')
            self._module_dict[key] = cls
            return cls
        return _register

    def build(self, cfg, **default_args):
        args = dict(cfg)
        for k, v in default_args.items():
            args.setdefault(k, v)
        obj_type = args.pop('type')
        obj_cls = self.get(obj_type)
        if obj_cls is None:
            raise KeyError(f'{obj_type} is not in the {self.name} registry')
        return obj_cls(**args)


BACKBONES = Registry('backbone')
NECKS = Registry('neck')
HEADS = Registry('head')
DETECTORS = Registry('detector')


def build_backbone(cfg):
    return BACKBONES.build(cfg)


def build_neck(cfg):
    return NECKS.build(cfg)


def build_head(cfg):
    return HEADS.build(cfg)


def build_detector(cfg):
    return DETECTORS.build(cfg)
