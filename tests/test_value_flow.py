"""Value flow in the shared evaluators (issue 42; miss map groups 4 and 5): a value reaches a BatchNorm or a
DataLoader through a record field built in another module, a ``**kwargs`` dict given as a parameter, a class
alias chosen in try/except, ``**self.attr``, or a Sequential item replaced by index assignment. Each bug beside
its fixed twin."""
from __future__ import annotations

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.project import Project
from tests.helpers import check_code, codes_and_lines


def _project(tmp_path, write, files: dict[str, str], target: str, select: tuple[str, ...]) -> list[tuple[str, int]]:
    for name, text in files.items():
        write(name, text)
    checker = Checker(Settings(root=str(tmp_path), select=select), Project(str(tmp_path)))
    return codes_and_lines(checker.check_path(str(tmp_path / target)).findings)


_SETTINGS_NAMEDTUPLE = """
    from collections import namedtuple

    Settings = namedtuple("Settings", ["momentum", "eps"])


    def defaults():
        return Settings(momentum={momentum}, eps=1e-3)
"""

_BLOCK = """
    import torch.nn as nn
    from settings import defaults


    class Block(nn.Module):
        def __init__(self, settings):
            super().__init__()
            self.momentum = settings.momentum
            self.norm = nn.BatchNorm2d(8, momentum=self.momentum)


    block = Block(defaults())
"""


def test_momentum_in_a_namedtuple_built_in_another_module(tmp_path, write):
    files = {"settings.py": _SETTINGS_NAMEDTUPLE.format(momentum=0.99), "model.py": _BLOCK}
    assert _project(tmp_path, write, files, "model.py", ("BN205",)) == [("BN205", 9)]


def test_momentum_in_a_namedtuple_built_in_another_module_fixed(tmp_path, write):
    files = {"settings.py": _SETTINGS_NAMEDTUPLE.format(momentum=0.01), "model.py": _BLOCK}
    assert _project(tmp_path, write, files, "model.py", ("BN205",)) == []


_DATACLASS = """
    from dataclasses import dataclass


    @dataclass
    class Settings:
        width: int
        momentum: float = {momentum}
"""

_BUILDER = """
    import torch.nn as nn
    from settings import Settings


    def norm(cfg):
        return nn.BatchNorm1d(cfg.width, momentum=cfg.momentum)


    layer = norm(Settings(16))
"""


def test_momentum_a_dataclass_field_leaves_at_its_default(tmp_path, write):
    files = {"settings.py": _DATACLASS.format(momentum=0.9), "model.py": _BUILDER}
    assert _project(tmp_path, write, files, "model.py", ("BN205",)) == [("BN205", 6)]


def test_momentum_a_dataclass_field_leaves_at_its_default_fixed(tmp_path, write):
    files = {"settings.py": _DATACLASS.format(momentum=0.1), "model.py": _BUILDER}
    assert _project(tmp_path, write, files, "model.py", ("BN205",)) == []


def test_a_record_field_given_positionally_overrides_the_default():
    code = """
        import typing
        import torch.nn as nn


        class Settings(typing.NamedTuple):
            width: int
            momentum: float = 0.1


        def norm(cfg):
            return nn.BatchNorm1d(cfg.width, momentum=cfg.momentum)


        layer = norm(Settings(16, {momentum}))
    """
    assert codes_and_lines(check_code(code.format(momentum=0.99), select=("BN205",))) == [("BN205", 11)]
    assert codes_and_lines(check_code(code.format(momentum=0.01), select=("BN205",))) == []


_KWARGS_PARAMETER = """
    from torch import nn

    bn_kwargs = {{"momentum": {momentum}, "eps": 1e-6}}


    class MLP(nn.Module):
        def __init__(self, channels, norm_kwargs=None):
            super().__init__()
            self.lin = nn.Linear(channels[0], channels[1])
            self.norm = nn.BatchNorm1d(channels[1], **norm_kwargs)


    mlp = MLP([10, 16], norm_kwargs=bn_kwargs)
"""


def test_momentum_in_a_kwargs_dict_given_as_a_parameter():
    assert codes_and_lines(check_code(_KWARGS_PARAMETER.format(momentum=0.99), select=("BN205",))) == [("BN205", 10)]
    assert codes_and_lines(check_code(_KWARGS_PARAMETER.format(momentum=0.01), select=("BN205",))) == []


def test_a_kwargs_parameter_given_dict_call_at_one_call_of_several():
    code = """
        from torch import nn


        def norm(c, norm_kwargs=None):
            return nn.BatchNorm1d(c, **(norm_kwargs or {}))


        def block(c, norm_kwargs):
            return nn.BatchNorm2d(c, **norm_kwargs)


        a = block(8, dict(momentum=0.1))
        b = block(8, dict(momentum=0.99))
        c = block(8, {"momentum": 0.9})
    """
    assert codes_and_lines(check_code(code, select=("BN205",))) == [("BN205", 9)]  # once for the layer


_TRY_ALIAS = """
    import torch.nn as nn

    try:
        from encoding.nn import SyncBatchNorm
        Norm = SyncBatchNorm
    except ImportError:
        Norm = nn.BatchNorm2d


    def conv_block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), Norm(cout, momentum={momentum}), nn.ReLU())
"""


def test_a_batchnorm_alias_chosen_in_try_except():
    assert codes_and_lines(check_code(_TRY_ALIAS.format(momentum=0.999), select=("BN205",))) == [("BN205", 11)]
    assert codes_and_lines(check_code(_TRY_ALIAS.format(momentum=0.001), select=("BN205",))) == []


def test_an_alias_whose_known_alternatives_differ_is_not_a_batchnorm():
    code = """
        import torch.nn as nn

        try:
            from apex.parallel import SyncBatchNorm as Norm
        except ImportError:
            Norm = nn.BatchNorm2d
        if False:
            Norm = nn.InstanceNorm2d

        layer = nn.Sequential(nn.Conv2d(3, 8, 3), Norm(16))
    """
    assert codes_and_lines(check_code(code, select=("BN201",))) == []


_STEM = """
    from torch import nn


    class Net(nn.Module):
        def __init__(self, in_channels=3, width=32):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv3d(3, width, 3, bias=False), nn.BatchNorm3d(width), nn.ReLU())
            self.stem[0] = nn.Conv3d(in_channels, {out}, 3, bias=False)
"""


def test_a_sequential_item_replaced_by_index_assignment():
    assert codes_and_lines(check_code(_STEM.format(out=64), select=("BN201",))) == [("BN201", 7)]
    assert codes_and_lines(check_code(_STEM.format(out="width"), select=("BN201",))) == []


def test_an_item_of_a_sequential_subclass_replaced_by_index_assignment():
    code = """
        from torch import nn


        class Stem(nn.Sequential):
            def __init__(self, cin, cout):
                super().__init__(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = Stem(3, 32)
                self.stem[0] = nn.Conv2d(1, {out}, 3, bias=False)
    """
    assert codes_and_lines(check_code(code.format(out=64), select=("BN201",))) == [("BN201", 6)]
    assert codes_and_lines(check_code(code.format(out=32), select=("BN201",))) == []


_LOADER_BUNDLE = """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset


    class Trainer:
        def __init__(self, batch_size=16):
            self.model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
            self.train_set = TensorDataset(torch.randn(1009, 8), torch.randn(1009, 1))
            self.loader_kwargs = dict(batch_size=batch_size, drop_last={drop_last})

        def fit(self):
            opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
            self.model.train()
            for x, y in DataLoader(self.train_set, shuffle=True, **self.loader_kwargs):
                loss = nn.functional.mse_loss(self.model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()


    Trainer().fit()
"""


def test_loader_arguments_in_a_self_attribute_bundle():
    assert codes_and_lines(check_code(_LOADER_BUNDLE.format(drop_last=False), select=("BN302",))) == [("BN302", 15)]
    assert codes_and_lines(check_code(_LOADER_BUNDLE.format(drop_last=True), select=("BN302",))) == []


_DROP_LAST_ATTRIBUTE = """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset


    class Trainer:
        def __init__(self, batch_size=16, drop_last=False):
            self.model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
            self.train_set = TensorDataset(torch.randn(1009, 8), torch.randn(1009, 1))
            self.batch_size = batch_size
            self.drop_last = drop_last

        def fit(self):
            opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
            self.model.train()
            for x, y in DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, drop_last=self.drop_last):
                loss = nn.functional.mse_loss(self.model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()


    Trainer({given}).fit()
"""


def test_drop_last_default_through_a_self_attribute():
    assert codes_and_lines(check_code(_DROP_LAST_ATTRIBUTE.format(given=""), select=("BN302",))) == [("BN302", 16)]
    assert codes_and_lines(check_code(_DROP_LAST_ATTRIBUTE.format(given="drop_last=True"), select=("BN302",))) == []


def test_a_replaced_stem_item_against_a_width_given_down_from_a_default():
    """fuse-med-ml (mined case 506): the stem is a Sequential subclass built with the backbone's width
    parameter; a conv replacing its first item hard-codes 64 while the width defaults to 32."""
    code = """
        from torch import nn


        class BasicStem(nn.Sequential):
            def __init__(self, in_channels=3, out_channels=64):
                super().__init__(nn.Conv3d(in_channels, out_channels, 3, bias=False), nn.BatchNorm3d(out_channels))


        class Net(nn.Module):
            def __init__(self, in_channels=3, first_channel_dim={width}):
                super().__init__()
                self.stem = BasicStem(3, first_channel_dim)
                if in_channels != 3:
                    self.stem[0] = nn.Conv3d(in_channels, 64, 3, bias=False)
    """
    assert codes_and_lines(check_code(code.format(width=32), select=("BN201",))) == [("BN201", 6)]
    assert codes_and_lines(check_code(code.format(width=64), select=("BN201",))) == []
