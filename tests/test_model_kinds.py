"""semantic.modules: which expressions hold a BatchNorm-bearing model, across files."""
from __future__ import annotations

import textwrap

from bn_lint.project import Project
from bn_lint.semantic.modules import ModelKind, model_kind


def test_model_kinds_across_files(tmp_path):
    (tmp_path / "models.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        def block(c):
            return nn.Sequential(nn.Conv2d(c, c, 3), nn.BatchNorm2d(c))
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = block(8)
        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 4)
        class Child(Net):
            pass
    """))
    (tmp_path / "evaluate.py").write_text(textwrap.dedent("""
        import torch, torchvision
        from models import Net, Plain, Child
        a = Net()
        b = Plain().to("cuda")
        c = torch.load("x.pt")
        d = torchvision.models.resnet18()
        e = torchvision.models.vgg16()
        f = Child()
        g = 3
    """))
    model = Project().model(str(tmp_path / "evaluate.py"))
    kinds = {}
    for name in "abcdefg":
        value, scope = model.binding(name, None)
        kinds[name] = model_kind(model, value, scope)
    assert kinds == {
        "a": ModelKind.BN, "b": ModelKind.NO, "c": ModelKind.MAYBE, "d": ModelKind.BN,
        "e": ModelKind.NO, "f": ModelKind.BN, "g": None,
    }
