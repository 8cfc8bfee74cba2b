"""semantic.nn_modules.bearing: which expressions hold a BatchNorm-bearing model, across files."""
from __future__ import annotations

import pytest

import textwrap
from pathlib import Path

import libcst as cst

from bn_lint.project import Project
from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind


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


def test_local_builder_functions_return_what_every_return_builds():
    from tests.helpers import check_code

    code = """
        import torch
        import torch.nn as nn

        def build():
            return nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))

        def build_plain():
            return nn.Sequential(nn.Linear(4, 4), nn.ReLU())

        def build_either(flag):
            if flag:
                return nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))
            return nn.Sequential(nn.Linear(4, 4), nn.ReLU())

        model = build()
        plain = build_plain()
        either = build_either(True)
        with torch.no_grad():
            a = model(torch.ones(8, 4))
            b = plain(torch.ones(8, 4))
            c = either(torch.ones(8, 4))
    """
    assert [(f.code, f.line) for f in check_code(code, select=("BN101",))] == [("BN101", 19)]  # only `a = model(...)`


def test_mutually_recursive_builders_are_worked_out_once_per_question(monkeypatch):
    """A clique of functions returning each other's results (an AST interpreter's dispatch) once made
    model_kind follow every path through the call graph: exponential, a hang on real code."""
    from bn_lint.semantic.nn_modules import bearing as modules
    from tests.helpers import check_code

    names = [f"visit_{i}" for i in range(5)]
    helpers = "\n".join(
        f"def {name}(node):\n" + "".join(f"    if node == {j}:\n        return {other}(node)\n"
                                         for j, other in enumerate(names) if other != name)
        + "    return nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))\n"
        for name in names
    )
    code = ("import torch\nimport torch.nn as nn\n\n" + helpers
            + "\nmodel = visit_0(0)\nwith torch.no_grad():\n    out = model(torch.ones(8, 4))\n")
    calls = []
    real = modules.model_kind
    monkeypatch.setattr(modules, "model_kind", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert [(f.code, f.line) for f in check_code(code, select=("BN101",))] == []
    assert 0 < len(calls) < 2_000


def test_a_project_file_is_parsed_only_if_it_may_define_the_imported_class_or_function(tmp_path):
    (tmp_path / "registry.py").write_text("REGISTRY = {}\n")  # (its text never binds `register`)
    (tmp_path / "models.py").write_text(
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm1d(4)\n"
    )
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch
        from registry import register
        from models import Net
        table = register("net", 1)
        model = Net()
        with torch.no_grad():
            out = model(torch.ones(2, 4))
    """))
    project = Project()
    main = project.model(str(tmp_path / "main.py"))
    value, scope = main.binding("model", None)
    assert model_kind(main, value, scope) is ModelKind.BN  # models.py holds `class Net`: parsed
    value, scope = main.binding("table", None)
    assert model_kind(main, value, scope) is None
    parsed = {Path(p).name for p, m in project._models.items() if m is not None}
    assert "models.py" in parsed and "registry.py" not in parsed  # nothing there binds `register`: never parsed


def test_returned_values_are_the_functions_own():
    """A nested function's or lambda's return is not the builder's (a builder of unknown result stays unknown)."""
    from bn_lint.semantic.syntax.walk import returned_values

    function = cst.parse_module(
        "def build(flag):\n    def helper():\n        return 1\n    key = lambda: 2\n"
        "    if flag:\n        return Net()\n    return\n"
    ).body[0]
    values = returned_values(function)
    assert len(values) == 2 and None in values
    assert any(isinstance(v, cst.Call) for v in values)


def test_the_builder_walk_visits_every_node_type_it_handles():
    """``builder.VISITED`` (the walk calls ``_Builder._visit`` only for these) names every class ``_visit`` tests for
    (``cls is cst.Call``, ``cls`` being the node's exact type)."""
    import ast
    import inspect
    import textwrap

    from bn_lint.semantic.file import builder

    source = textwrap.dedent(inspect.getsource(builder._Builder._visit))
    tested = set()
    for test in ast.walk(ast.parse(source)):
        if isinstance(test, ast.Compare) and getattr(test.left, "id", "") == "cls" \
                and all(isinstance(op, ast.Is) for op in test.ops):
            tested |= {kind.attr for kind in test.comparators}
        if isinstance(test, ast.Call) and getattr(test.func, "id", "") == "isinstance" and getattr(test.args[0], "id", "") == "node":
            tested.add("isinstance")  # (a test of the node against a class, not its exact type: the walk may skip it)
    assert tested and tested == set(builder.VISITED)


def test_names_unpacked_from_a_builders_tuple(tmp_path):
    """``model, tf = build()``: the kind of the element every ``return`` of the builder agrees on."""
    (tmp_path / "models.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        def build(width):
            return nn.Sequential(nn.Linear(4, width), nn.BatchNorm1d(width)), "transforms"
        def either(flag):
            if flag:
                return nn.Linear(4, 4), 1
            return nn.BatchNorm1d(4), 2
        def ragged(flag):
            if flag:
                return nn.BatchNorm1d(4)
            return nn.BatchNorm1d(4), 2
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        from models import build, either, ragged
        def local():
            return 0, nn.BatchNorm2d(3)
        a, tf = build(8)
        b, _ = either(True)
        c, _ = ragged(True)
        _, d = local()
        e, *rest = build(8)
        f, g = build(8)
        f = nn.Linear(2, 2)
    """))
    model = Project().model(str(tmp_path / "main.py"))
    kinds = {name: model_kind(model, cst.Name(name), None) for name in ("a", "tf", "b", "c", "d", "e", "f")}
    assert kinds == {"a": ModelKind.BN, "tf": None, "b": None, "c": None, "d": ModelKind.BN, "e": None, "f": None}


def test_a_container_of_registry_entries(tmp_path):
    """``nn.Sequential(BACKBONES[name](), head)``: BN when every entry of the registry dict carries BatchNorm."""
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        import torchvision
        BACKBONES = {"r18": torchvision.models.resnet18, "r34": torchvision.models.resnet34}
        PLAIN = {"mlp": nn.Linear}
        def build(name):
            backbone = BACKBONES[name]()
            return nn.Sequential(backbone, nn.Linear(1000, 10))
        def build_plain(name):
            return nn.Sequential(PLAIN[name](4, 4), nn.ReLU())
        a = build("r18")
        b = build_plain("mlp")
    """))
    model = Project().model(str(tmp_path / "main.py"))
    assert model_kind(model, cst.Name("a"), None) is ModelKind.BN
    assert model_kind(model, cst.Name("b"), None) is ModelKind.NO


def test_a_norm_layer_parameter_defaulting_to_batchnorm(tmp_path):
    """``def __init__(self, norm_layer=nn.BatchNorm1d)``: built with the default, the class carries BatchNorm;
    given another norm, what it builds is not known from the class alone."""
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        class MLP(nn.Module):
            def __init__(self, width=8, norm_layer=nn.BatchNorm1d):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(4, width, bias=False), norm_layer(width))
        a = MLP()
        b = MLP(16)
        c = MLP(norm_layer=nn.LayerNorm)
        d = MLP(8, nn.LayerNorm)
    """))
    model = Project().model(str(tmp_path / "main.py"))
    kinds = {name: model_kind(model, cst.Name(name), None) for name in "abcd"}
    assert kinds == {"a": ModelKind.BN, "b": ModelKind.BN, "c": None, "d": None}


def _kinds(tmp_path, source: str, names: list[str]) -> list[ModelKind | None]:
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source))
    model = Project().model(str(path))
    return [model_kind(model, cst.Name(name), model.module_scope) for name in names]


def test_a_helper_nested_in_a_builder_counts_for_its_kind(tmp_path):
    source = """
        import torch.nn as nn

        def make(num_classes):
            def stage(cin, cout):
                return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
            return nn.Sequential(stage(3, 32), stage(32, 64), nn.Flatten(), nn.LazyLinear(num_classes))

        def make_plain():
            def stage(cin, cout):
                return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU())
            return nn.Sequential(stage(3, 32), nn.Flatten())

        net = make(10)
        plain = make_plain()
    """
    assert _kinds(tmp_path, source, ["net", "plain"]) == [ModelKind.BN, ModelKind.NO]


def test_a_factory_given_another_norm_layer_is_not_taken_for_batchnorm(tmp_path):
    source = """
        import torch.nn as nn
        import torchvision

        def gn(channels):
            return nn.GroupNorm(32, channels)

        default = torchvision.models.resnet50()
        grouped = torchvision.models.resnet50(norm_layer=gn)
        batch = torchvision.models.resnet50(norm_layer=nn.BatchNorm2d)
    """
    assert _kinds(tmp_path, source, ["default", "grouped", "batch"]) == [ModelKind.BN, None, ModelKind.BN]


def test_a_classmethod_that_returns_cls_builds_the_class(tmp_path):
    source = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, width=8):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, width, 3, bias=False), nn.BatchNorm2d(width))

            @classmethod
            def from_config(cls, cfg):
                return cls(cfg["width"])

            @classmethod
            def describe(cls):
                return "net"

        net = Net.from_config({"width": 16})
        text = Net.describe()
    """
    assert _kinds(tmp_path, source, ["net", "text"]) == [ModelKind.BN, None]


def test_torchvision_helpers_and_detection_models(tmp_path):
    """Feature extractors hold the model they are given; detection models' pretrained backbones use
    FrozenBatchNorm2d (the v2 models and SSDlite use BatchNorm)."""
    source = """
        import torch.nn as nn
        from torchvision.models import resnet50
        from torchvision.models._utils import IntermediateLayerGetter
        from torchvision.models.detection import fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2
        from torchvision.ops import FrozenBatchNorm2d

        class Segmenter(nn.Module):
            def __init__(self):
                super().__init__()
                backbone = resnet50(norm_layer=FrozenBatchNorm2d)
                self.body = IntermediateLayerGetter(backbone, return_layers={"layer4": "out"})
                self.head = nn.Conv2d(2048, 21, 1)

        frozen = IntermediateLayerGetter(resnet50(norm_layer=FrozenBatchNorm2d), {"layer4": "out"})
        batch = IntermediateLayerGetter(resnet50(), {"layer4": "out"})
        segmenter = Segmenter()
        detector = fasterrcnn_resnet50_fpn(weights="DEFAULT")
        detector_v2 = fasterrcnn_resnet50_fpn_v2()
    """
    assert _kinds(tmp_path, source, ["frozen", "batch", "segmenter", "detector", "detector_v2"]) == [
        None, ModelKind.BN, ModelKind.NO, ModelKind.MAYBE, ModelKind.BN]


def _registry_package(root: Path, norm: str) -> None:
    """A package whose models are registered by decorators, in the two common shapes."""
    pkg = root / "kit"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from typing import Callable, Dict
        BACKBONES: Dict[str, Callable] = {}

        def register_backbone(fn):
            BACKBONES[fn.__name__] = fn
            return fn

        def build_backbone(name, **kwargs):
            return BACKBONES[name](**kwargs)
    """))
    (pkg / "registry.py").write_text(textwrap.dedent("""
        class Registry:
            def __init__(self, name):
                self._items = {}

            def register(self, name):
                def deco(obj):
                    self._items[name] = obj
                    return obj
                return deco

            def __getitem__(self, key):
                return self._items[key]

        MODELS = Registry("model")

        def build_model(cfg):
            return MODELS[cfg["name"]](**cfg)
    """))
    (pkg / "models" / "__init__.py").write_text("")
    (pkg / "models" / "nets.py").write_text(textwrap.dedent(f"""
        import torch.nn as nn
        from .. import register_backbone
        from ..registry import MODELS

        class Small(nn.Module):
            def __init__(self, width=16):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, width, 3, bias=False), {norm})

        @register_backbone
        def small(**kwargs):
            return Small(**kwargs)

        @MODELS.register("small")
        class Registered(Small):
            pass
    """))
    (pkg / "train.py").write_text(textwrap.dedent("""
        from . import build_backbone
        from .registry import build_model
        a = build_backbone("small")
        b = build_model({"name": "small"})
    """))


def test_models_of_decorator_registries(tmp_path):
    """``@register_backbone`` into a dict and ``@MODELS.register(...)`` into a Registry object, in another
    module of the package: what the registry builds is what every registered entry builds."""
    for norm, expected in (("nn.BatchNorm2d(width)", ModelKind.BN), ("nn.GroupNorm(4, width)", None)):
        root = tmp_path / norm.split("(")[0]
        _registry_package(root, norm)
        model = Project().model(str(root / "kit" / "train.py"))
        kinds = {name: model_kind(model, *model.binding(name, None)) for name in "ab"}
        assert kinds == {"a": expected, "b": expected}, norm


def test_a_registry_filled_outside_its_decorator_is_not_followed(tmp_path):
    _registry_package(tmp_path, "nn.BatchNorm2d(width)")
    init = tmp_path / "kit" / "__init__.py"
    init.write_text(init.read_text() + "\nBACKBONES['plain'] = lambda: None\n")
    model = Project().model(str(tmp_path / "kit" / "train.py"))
    assert model_kind(model, *model.binding("a", None)) is None


def test_a_scripts_own_registry_of_decorated_builders():
    from tests.helpers import check_code, codes_and_lines

    code = """
        import torch
        import torch.nn as nn

        MODELS = {}

        def register(name):
            def deco(fn):
                MODELS[name] = fn
                return fn
            return deco

        @register("small")
        def small(num_classes=10):
            return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(num_classes))

        model = MODELS["small"](num_classes=10)
        model.train()
        with torch.no_grad():
            preds = model(torch.randn(4, 3, 32, 32)).argmax(1)
    """
    assert codes_and_lines(check_code(code, select=("BN101",))) == [("BN101", 19)]


def test_a_class_built_from_a_partial_of_a_local_helper(tmp_path):
    """``block = partial(conv_bn, norm=norm)`` in ``__init__``: the class carries what the helper builds,
    unless the preset replaces the helper's BatchNorm default with something else."""
    template = textwrap.dedent("""
        from functools import partial
        import torch.nn as nn

        def conv_bn(cin, cout, norm=nn.BatchNorm2d):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), norm(cout))

        class Net(nn.Module):
            def __init__(self, norm=nn.BatchNorm2d):
                super().__init__()
                block = partial(conv_bn, norm={preset})
                self.body = nn.Sequential(block(3, 8), block(8, 16))

        net = Net()
    """)
    for preset, expected in (("norm", ModelKind.BN), ("nn.BatchNorm2d", ModelKind.BN), ("nn.Identity", ModelKind.NO)):
        path = tmp_path / f"net_{preset.replace('.', '_')}.py"
        path.write_text(template.format(preset=preset))
        model = Project().model(str(path))
        assert model_kind(model, *model.binding("net", None)) is expected, preset


@pytest.mark.parametrize("norm, expected", [("FrozenBatchNorm2d", []), ("nn.GroupNorm", []),
                                            ("nn.BatchNorm2d", [("BN301", 21)])])
def test_a_part_built_with_another_norm_layer_than_its_batchnorm_default(norm, expected):
    """``Backbone(norm_layer=FrozenBatchNorm2d)`` inside a model: the part's BatchNorm default is replaced."""
    from tests.helpers import check_code

    code = f"""
        import torch
        import torch.nn as nn
        from torchvision.ops import FrozenBatchNorm2d

        class Backbone(nn.Module):
            def __init__(self, norm_layer=nn.BatchNorm2d):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), norm_layer(8), nn.ReLU())

            def forward(self, x):
                return self.body(x)

        class Detector(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = Backbone(norm_layer={norm})
                self.head = nn.Conv2d(8, 4, 1)

        model = Detector()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = torch.utils.data.DataLoader(torch.randn(64, 3, 32, 32), batch_size=2)
        for x in loader:
            model(x).mean().backward()
            opt.step()
    """
    assert [(f.code, f.line) for f in check_code(code, select=("BN301",))] == expected


def test_getattr_factories_timm_names_and_placeholders(tmp_path):
    (tmp_path / "models.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        def vgg11_bn(num_classes=10):
            return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        def vgg16_bn(num_classes=10):
            return vgg11_bn(num_classes)
        def mlp(num_classes=10):
            return nn.Linear(3, num_classes)
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import argparse
        import timm
        import models
        from torchvision import models as tv
        parser = argparse.ArgumentParser()
        parser.add_argument("--arch", choices=["vgg11_bn", "vgg16_bn"])
        parser.add_argument("--other", choices=["vgg11_bn", "mlp"])
        args = parser.parse_args()
        ARCH = "vit_small_patch16_224.augreg_in21k"
        def build(name):
            net = None
            if name == "r18":
                net = tv.resnet18()
            return net
        a = getattr(models, args.arch)(num_classes=10)
        b = getattr(models, args.other)()
        c = getattr(models, "mlp")()
        d = getattr(models, args.unknown)()
        e = timm.create_model(ARCH, pretrained=True)
        f = timm.create_model("resnet50")
        g = build("r18")
    """))
    model = Project().model(str(tmp_path / "main.py"))
    kinds = {}
    for name in "abcdefg":
        value, scope = model.binding(name, None)
        kinds[name] = model_kind(model, value, scope)
    assert kinds == {
        # d: a name known only at run time picks one of the module's builders: of unknown class, in a project that
        # builds BatchNorm (RULES.md Evidence)
        "a": ModelKind.BN, "b": None, "c": ModelKind.NO, "d": ModelKind.MAYBE, "e": ModelKind.NO, "f": ModelKind.BN,
        "g": ModelKind.BN,
    }


def test_a_class_whose_project_bases_are_no_modules_is_no_module_and_its_body_is_not_read(tmp_path):
    """sympy's `class Add(Expr, AssocOp)`: the bases are followed (Expr → Basic → Printable), the bodies
    and every class they call are not (a test file that builds a thousand sympy classes once took minutes)."""
    (tmp_path / "base.py").write_text("class Printable:\n    pass\n")
    for k in range(6):
        (tmp_path / f"c{k}.py").write_text(
            f"from base import Printable\nfrom c{k + 1} import C{k + 1}\n\n"
            f"class C{k}(Printable):\n    def twin(self):\n        return C{k + 1}()\n")
    (tmp_path / "c6.py").write_text("class C6(dict):\n    pass\n")
    (tmp_path / "main.py").write_text("from c0 import C0\nx = C0()\n")
    project = Project()
    main = project.model(str(tmp_path / "main.py"))
    value, scope = main.binding("x", None)
    assert model_kind(main, value, scope) is None
    parsed = {Path(p).name for p, m in project._models.items() if m is not None}
    assert parsed == {"main.py", "c0.py"}  # (base.py read as text: `class Printable:` has no base)


def test_a_class_on_a_module_base_of_the_project_or_of_another_library_is_still_read(tmp_path):
    (tmp_path / "base.py").write_text("import torch.nn as nn\nclass Block(nn.Module):\n    pass\nclass Plain:\n    pass\n")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        import lightning as L
        from base import Block, Plain
        class Net(Block):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm2d(3)
        class Lit(L.LightningModule, Plain):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm2d(3)
        class Holder(Plain, dict):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm2d(3)
        a, b, c = Net(), Lit(), Holder()
    """))
    main = Project().model(str(tmp_path / "main.py"))
    kinds = {name: model_kind(main, *main.binding(name, None)) for name in "abc"}
    assert kinds == {"a": ModelKind.BN, "b": ModelKind.BN, "c": None}


def test_an_answer_cut_short_by_the_depth_limit_is_worked_out_once_per_outermost_question(tmp_path, monkeypatch):
    import bn_lint.semantic.nn_modules.bearing as modules

    chain = "".join(f"class M{k}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    f"        self.m = M{k + 1}()\n" for k in range(12))
    (tmp_path / "nets.py").write_text("import torch.nn as nn\n" + chain + "class M12(nn.Module):\n    pass\n")
    main = Project().model(str(tmp_path / "nets.py"))
    walks = []
    real = modules._calls_kind
    monkeypatch.setattr(modules, "_calls_kind", lambda *args, **kwargs: walks.append(1) or real(*args, **kwargs))
    first = modules.class_kind(main, main.classes["M0"])
    once = len(walks)
    assert first is ModelKind.NO and once > 0
    for _ in range(20):
        assert modules.class_kind(main, main.classes["M0"]) is first
    assert len(walks) == once


def test_a_builder_called_with_its_batchnorm_flag_off_builds_no_batchnorm(tmp_path):
    """DM-Count's `vgg19()` = `VGG(make_layers(cfg["E"]))` with `make_layers(cfg, batch_norm=False)`:
    the `if batch_norm:` suite never runs for that call (tests/data/realworld case 109)."""
    (tmp_path / "layers.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        def tower(widths, plain=True):
            layers = []
            for w in widths:
                if not plain:
                    layers.append(nn.BatchNorm2d(w))
                layers.append(nn.Conv2d(w, w, 3))
            return nn.Sequential(*layers)
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        from layers import tower
        USE_BN = False
        def make_layers(cfg, batch_norm=False):
            layers = []
            for v in cfg:
                if batch_norm:
                    layers += [nn.Conv2d(3, v, 3), nn.BatchNorm2d(v), nn.ReLU()]
                else:
                    layers += [nn.Conv2d(3, v, 3), nn.ReLU()]
            return nn.Sequential(*layers)
        class VGG(nn.Module):
            def __init__(self, features):
                super().__init__()
                self.features = features
        a = VGG(make_layers([64, 64]))
        b = VGG(make_layers([64, 64], batch_norm=True))
        c = make_layers([64], USE_BN)
        d = make_layers([64], flag)
        e = tower([8, 8])
        f = tower([8, 8], plain=False)
    """))
    main = Project().model(str(tmp_path / "main.py"))
    kinds = {name: model_kind(main, *main.binding(name, None)) for name in "abcdef"}
    assert kinds == {"a": ModelKind.NO, "b": ModelKind.BN, "c": ModelKind.NO, "d": ModelKind.BN,
                     "e": ModelKind.NO, "f": ModelKind.BN}


def test_a_class_built_with_its_batchnorm_flag_off_holds_no_batchnorm(tmp_path):
    (tmp_path / "nets.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, c, use_bn=False):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3)
                if use_bn:
                    self.bn = nn.BatchNorm2d(c)
        class Both(Block):
            def __init__(self, c, norm=True):
                super().__init__(c)
                self.extra = nn.BatchNorm2d(c) if norm else nn.Identity()
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from nets import Block, Both
        a = Block(8)
        b = Block(8, use_bn=True)
        c = Block(8, True)
        d = Block(8, use_bn=flag)
        e = Both(8, norm=False)
    """))
    main = Project().model(str(tmp_path / "main.py"))
    kinds = {name: model_kind(main, *main.binding(name, None)) for name in "abcde"}
    assert kinds == {"a": ModelKind.NO, "b": ModelKind.BN, "c": ModelKind.BN, "d": ModelKind.BN, "e": ModelKind.BN}


def test_a_class_built_around_a_model_zoo_architecture_picked_by_name_may_hold_batchnorm(tmp_path):
    """`getattr(torchvision.models, cnn_type)(pretrained=True)` inside the class (the module written as
    an attribute, not imported by name) is one of the zoo's models, where it was NO (the class's other part, a
    Linear, decided): the one the class's only construction names, `"resnet18"` (BatchNorm)."""
    (tmp_path / "vse.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        import torchvision
        from torchvision import models
        class Encoder(nn.Module):
            def __init__(self, embed_size, cnn_type="resnet152"):
                super().__init__()
                self.cnn = getattr(torchvision.models, cnn_type)(pretrained=True)
                self.fc = nn.Linear(2048, embed_size)
        class Named(nn.Module):
            def __init__(self):
                super().__init__()
                self.cnn = getattr(models, "vgg16")()
        a = Encoder(256, "resnet18")
        b = Named()
    """))
    project = Project(__import__("bn_lint.config", fromlist=["Settings"]).Settings(root=tmp_path))
    model = project.model(str(tmp_path / "vse.py"))
    kinds = {name: model_kind(model, cst.Name(name), model.module_scope) for name in "ab"}
    assert kinds == {"a": ModelKind.BN, "b": ModelKind.NO}


def test_a_static_or_class_method_builder_gives_what_it_returns(tmp_path):
    source = """
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, bias=False), nn.BatchNorm2d(64))

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

        class gan_factory(object):
            @staticmethod
            def generator_factory(kind):
                if kind == "gan":
                    return Generator()

            @classmethod
            def plain_factory(cls):
                return Plain()

            def not_static(self):
                return Generator()

        g = gan_factory.generator_factory("gan")
        p = gan_factory.plain_factory()
        n = gan_factory.not_static()
    """
    assert _kinds(tmp_path, source, ["g", "p", "n"]) == [ModelKind.BN, ModelKind.NO, None]


@pytest.mark.parametrize("norm, expected", [("nn.BatchNorm2d(16)", [("BN101", 14)]), ("nn.GroupNorm(4, 16)", [])])
def test_an_empty_sequential_holds_what_is_added_to_it(norm, expected):
    """`net = nn.Sequential()` then `net.add_module(...)` / `net.norm = ...`: what was added is what it holds."""
    from tests.helpers import check_code

    code = f"""
        import torch
        import torch.nn as nn

        def build():
            net = nn.Sequential()
            net.add_module("conv", nn.Conv2d(3, 16, 3))
            net.norm = {norm}
            return net

        def test(x, path):
            net = build()
            net.load_state_dict(torch.load(path))
            with torch.no_grad():
                return net(x).argmax(1)
    """
    assert [(f.code, f.line) for f in check_code(code, select=("BN101",))] == expected


def test_a_class_chosen_into_a_local_name_builds_what_the_classes_build(tmp_path):
    # (transfer batch 5, 1600: `modelfn = e2cmodel.DeterministicModel` / `else: modelfn = e2cmodel.E2CModel`)
    source = """
        import torch.nn as nn

        class WithBN(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(4)

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

        if flag:
            modelfn = WithBN
        else:
            modelfn = Plain
        net = modelfn()
        plainfn = Plain
        plain = plainfn()
        called = Plain()
        builder = called
        other = builder()
    """
    assert _kinds(tmp_path, source, ["net", "plain", "other"]) == [ModelKind.BN, ModelKind.NO, None]


def test_an_alternative_constructor_of_a_class_a_package_re_exports_or_a_conditional_alias_chose(tmp_path):
    # (main corpus 608: `mpnn_cls = Multi if multi else MPNN; model = mpnn_cls.load_from_file(path)`, the classes
    # imported from the package that re-exports them)
    pkg = tmp_path / "pkg"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("from .model import MPNN, Plain\n")
    (pkg / "models" / "model.py").write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn

        class MPNN(nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.bn = nn.BatchNorm1d(width)

            @classmethod
            def load_from_file(cls, path):
                hparams = torch.load(path)
                model = cls(**hparams)
                return model

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

            @classmethod
            def load_from_file(cls, path):
                return cls()
    """))
    (tmp_path / "train.py").write_text(textwrap.dedent("""
        from pkg.models import MPNN, Plain

        def run(multi, path):
            chosen = Plain if multi else MPNN
            a = chosen.load_from_file(path)
            b = Plain.load_from_file(path)
            return a, b
    """))
    model = Project().model(str(tmp_path / "train.py"))
    scope = model.scopes[model.functions["run"]]
    kinds = [model_kind(model, model.binding(name, scope)[0], scope) for name in ("a", "b")]
    assert kinds == [ModelKind.BN, ModelKind.NO]


def test_pyg_mlp_holds_batchnorm_unless_its_norm_is_turned_off(tmp_path):
    # PyG's MLP normalises with BatchNorm by default (`norm="batch_norm"`); its GNNs (GCN, GIN, ...) do not
    source = """
        import torch
        from torch_geometric.nn import GCN, MLP

        class SharedMLP(MLP):
            def __init__(self, *args, **kwargs):
                kwargs["plain_last"] = False
                super().__init__(*args, **kwargs)

        class Head(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.mlp = MLP([128, 64, 10], dropout=0.5)

        default = MLP([3, 64, 128])
        named = MLP([3, 64], norm="batch_norm")
        off = MLP([3, 64], norm=None)
        layer = MLP([3, 64], norm="layer_norm")
        legacy_off = MLP([3, 64], batch_norm=False)
        shared = SharedMLP([3, 64])
        head = Head()
        gcn = GCN(3, 64, 2)
    """
    names = ["default", "named", "off", "layer", "legacy_off", "shared", "head", "gcn"]
    assert _kinds(tmp_path, source, names) == [
        ModelKind.BN, ModelKind.BN, ModelKind.NO, ModelKind.NO, ModelKind.NO, ModelKind.BN, ModelKind.BN, ModelKind.NO]


def test_a_class_picked_from_a_module_namespace_by_a_run_time_name(tmp_path):
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "__init__.py").write_text("from .nets import *\n")
    (tmp_path / "zoo" / "nets.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        def bninception(num_classes=1000, pretrained="imagenet"):
            return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import sys
        import zoo
        import pretrainedmodels
        a = zoo.__dict__[sys.argv[1]](num_classes=1000, pretrained="imagenet")
        b = pretrainedmodels.__dict__[sys.argv[1]](num_classes=1000)
        c = sys.__dict__[sys.argv[1]]()
    """))
    model = Project().model(str(tmp_path / "main.py"))
    kinds = [model_kind(model, *model.binding(name, None)) for name in "abc"]
    assert kinds == [ModelKind.MAYBE, ModelKind.MAYBE, None]


def test_eval_of_a_run_time_name_picks_one_of_the_classes_the_module_sees(tmp_path):
    # PytorchOCR's `eval(post_process_type)(**config)` over post-processors (no module), deeplab's
    # `eval(CONFIG.MODEL.NAME)(n_classes=21)` over its models
    (tmp_path / "post.py").write_text(textwrap.dedent("""
        class DBPostProcess:
            def __init__(self, thresh=0.3):
                self.thresh = thresh
        def build_post_process(name, **config):
            return eval(name)(**config)
        p = build_post_process("DBPostProcess")
        q = eval(name)(thresh=0.5)
    """))
    (tmp_path / "nets.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        class DeepLabV2(nn.Module):
            def __init__(self, n_classes):
                super().__init__()
                self.bn = nn.BatchNorm2d(n_classes)
        class Head(nn.Module):
            def __init__(self, n_classes):
                super().__init__()
                self.fc = nn.Linear(8, n_classes)
        m = eval(name)(n_classes=21)
    """))
    post = Project().model(str(tmp_path / "post.py"))
    nets = Project().model(str(tmp_path / "nets.py"))
    assert model_kind(post, *post.binding("q", None)) is None
    assert model_kind(nets, *nets.binding("m", None)) is ModelKind.MAYBE


def test_an_image_transform_module_holds_no_batchnorm():
    """`transforms.Normalize(...)` is an `nn.Module` of torchvision without statistics (batch 28's 14061: a trainer's
    `self.norm_trans` run in its validation loop was taken for a model of unknown content)."""
    import libcst as cst

    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.nn_modules.bearing import ModelKind, model_kind

    code = ("import torchvision.transforms as transforms\nfrom torchvision.transforms import v2\n"
            "norm = transforms.Normalize(mean=[0.5], std=[0.5])\nflip = v2.RandomHorizontalFlip()\n")
    model = FileModel("t.py", code, cst.parse_module(code))
    for name in ("norm", "flip"):
        value, scope = model.binding(name, None)
        assert model_kind(model, value, scope) is ModelKind.NO, name


def test_gpytorch_kernels_means_and_likelihoods_hold_no_batchnorm(tmp_path):
    """Session 74 (transfer batch 29's 14400, two false BN101s): GPyTorch's kernels are modules of hyperparameters."""
    (tmp_path / "gp.py").write_text(textwrap.dedent("""
        import gpytorch
        a = gpytorch.kernels.ScaleKernel(gpytorch.kernels.RBFKernel())
        b = gpytorch.means.ConstantMean()
        c = gpytorch.likelihoods.GaussianLikelihood()
        d = gpytorch.kernels.SpectralMixtureKernel(num_mixtures=4)
    """))
    model = Project().model(str(tmp_path / "gp.py"))
    kinds = {name: model_kind(model, *model.binding(name, None)) for name in "abcd"}
    assert kinds == dict.fromkeys("abcd", ModelKind.NO)


def test_a_model_part_read_through_a_name_bound_to_an_attribute_path(tmp_path):
    """Session 74: `kernel = self.model.covar_module` with `self.model = model.cuda()` and `model = GPLayer(...)`: the
    part's kind is that class's attribute's (a GPyTorch kernel here: none), not of unknown content."""
    from bn_lint.semantic.modes import ModeAnalysis

    (tmp_path / "gp.py").write_text(textwrap.dedent("""
        import gpytorch
        import torch
        from torch import nn

        class GPLayer(gpytorch.models.ExactGP):
            def __init__(self, x, y, likelihood, kernel="rbf"):
                super().__init__(x, y, likelihood)
                if kernel == "rbf":
                    self.covar_module = gpytorch.kernels.ScaleKernel(gpytorch.kernels.RBFKernel())
                else:
                    self.covar_module = gpytorch.kernels.SpectralMixtureKernel(num_mixtures=4)

        class Regressor(nn.Module):
            def build(self, x, y):
                model = GPLayer(x, y, gpytorch.likelihoods.GaussianLikelihood())
                self.model = model.cuda()

            def points(self, x):
                kernel = self.model.covar_module
                with torch.no_grad():
                    return kernel(x)
    """))
    model = Project().model(str(tmp_path / "gp.py"))
    analysis = model.analysis(ModeAnalysis).run()
    points = model.classes["Regressor"].methods["points"]
    assert analysis.kinds.kind("kernel", frozenset(), model.scopes[points]) is ModelKind.NO
