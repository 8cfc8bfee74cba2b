"""The chain analysis and symbolic widths behind BN201-BN204: real behaviour on small programs."""
from __future__ import annotations

import textwrap
from fractions import Fraction

import pytest

from bn_lint.semantic.syntax.constants import Sym, show_width, sym_add, sym_floordiv, sym_int, sym_mul, widths_differ, widths_equal

from tests.helpers import check_code, codes_and_lines

BN2 = ("BN201", "BN202", "BN203", "BN204")


def found(code: str) -> list[tuple[str, int]]:
    return codes_and_lines(check_code(code, select=BN2))


# ------------------------------------------------------------------ symbolic widths
def test_polynomials_equal_and_differ():
    p, q = Sym.atom("planes@1"), Sym.atom("growth@2")
    assert widths_equal(sym_mul(p, 4), sym_add(sym_mul(p, 3), p))
    assert widths_differ(p, sym_mul(p, 4), {"planes@1"})
    assert not widths_differ(p, sym_mul(p, 4), set())  # atoms not known to be positive
    assert not widths_differ(p, q, {"planes@1", "growth@2"})  # mixed signs: could be equal
    assert widths_differ(64, 32) and not widths_differ(64, 64)
    assert sym_int(sym_mul(p, Fraction(1, 2))) == sym_int(sym_mul(p, Fraction(1, 2)))  # same opaque atom
    assert sym_floordiv(sym_mul(p, 4), 2) == sym_mul(p, 2)
    assert show_width(sym_add(sym_mul(p, 4), 1)) == "4*planes + 1"


def test_a_quotient_differs_from_what_it_divides():
    """``h // 2`` is below ``h`` for every width ``h >= 1``; ``h // 4`` and ``h // 2`` can be equal (h = 1)."""
    h = Sym.atom("h@1")
    positive = {"h@1"}
    assert widths_differ(sym_floordiv(h, 2), h, positive) and widths_differ(h, sym_floordiv(h, 3), positive)
    assert widths_differ(sym_add(sym_floordiv(h, 2), 1), sym_mul(h, 2), positive)
    assert not widths_differ(sym_floordiv(h, 4), sym_floordiv(h, 2), positive)
    assert not widths_differ(sym_floordiv(h, 2), 3, positive)
    assert not widths_differ(sym_floordiv(h, 2), h, set())  # h not known to be a width


def test_a_decoder_block_that_forgot_to_halve():
    assert found(
        """
        import torch.nn as nn

        class Up(nn.Module):
            def __init__(self, channels=256):
                super().__init__()
                self.up = nn.Sequential(
                    nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(channels),
                    nn.ReLU(),
                )
        """
    ) == [("BN201", 8)]


@pytest.mark.parametrize("norm, expected", [("d_in", [("BN201", 8)]), ("d_out", [])])
def test_widths_zipped_from_slices_of_a_list(norm, expected):
    """``for d_in, d_out in zip(dims[:-1], dims[1:])`` with ``dims = [in_features, *hidden]``, unrolled."""
    assert found(
        f"""
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self, in_features, hidden=(1024, 512)):
                super().__init__()
                dims = [in_features, *hidden]
                for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
                    self.add_module(f"b{{i}}", nn.Sequential(nn.Linear(d_in, d_out, bias=False), nn.BatchNorm1d({norm})))

        head = Head(2048)
        """
    ) == expected


def test_widths_from_a_tuple_of_module_constants():
    """``nz, ngf = 100, 64`` binds each name to its number (DCGAN's hyper-parameter line)."""
    assert found(
        """
        import torch.nn as nn

        nz, ngf = 100, 64

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.main = nn.Sequential(
                    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
                    nn.BatchNorm2d(ngf * 4),
                )
        """
    ) == [("BN201", 10)]


# ------------------------------------------------------------------ BN201 forms
def test_append_and_extend_lists():
    assert found(
        """
        import torch.nn as nn
        layers = []
        layers.append(nn.Conv2d(3, 16, 3, bias=False))
        layers.extend([nn.ReLU(), nn.BatchNorm2d(8)])
        net = nn.Sequential(*layers)
        """
    ) == [("BN201", 4)]


def test_partial_norm_layer_and_module_constant():
    assert found(
        """
        import functools
        import torch.nn as nn
        WIDTH = 48
        norm = functools.partial(nn.BatchNorm2d, eps=1e-3)
        block = nn.Sequential(nn.Conv2d(3, WIDTH, 3, bias=False), norm(WIDTH * 2))
        """
    ) == [("BN201", 5)]


def test_helper_class_called_with_arguments():
    code = """
        import torch.nn as nn

        class ConvBN(nn.Module):
            def __init__(self, cin, cout, bn_width=None):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, bias=False)
                self.bn = nn.BatchNorm2d(bn_width or cout)

            def forward(self, x):
                return self.bn(self.conv(x))

        a = ConvBN(3, 32)
        b = ConvBN(3, 32, bn_width=16)
        """
    assert found(code) == [("BN201", 7)]


def test_unknown_and_symbolic_widths_stay_silent():
    assert found(
        """
        import torch.nn as nn

        def block(cin, cout, width):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(width))

        def other(cfg):
            return nn.Sequential(nn.Conv2d(3, cfg.width, 3, bias=False), nn.BatchNorm2d(cfg.width))

        def third(channels):
            c = compute(channels)
            return nn.Sequential(nn.Conv2d(3, c, 3, bias=False), nn.BatchNorm2d(c))
        """
    ) == []


def test_branches_merge_and_loops_do_not_guess():
    assert found(
        """
        import torch.nn as nn

        def make(widths, use_bn):
            layers = []
            cin = 3
            for w in widths:
                layers.append(nn.Conv2d(cin, w, 3, bias=False))
                if use_bn:
                    layers.append(nn.BatchNorm2d(w))
                layers.append(nn.ReLU())
                cin = w
            layers.append(nn.BatchNorm2d(cin))
            return nn.Sequential(*layers)
        """
    ) == []


def test_forward_reshapes_and_functional_steps():
    code = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 64, 3, bias=False)
                self.bn1 = nn.BatchNorm2d(64)
                self.fc = nn.Linear(64, 10, bias=False)
                self.bn2 = nn.BatchNorm1d(10)
                self.bn3 = nn.BatchNorm1d(64)

            def forward(self, x):
                x = F.relu(self.bn1(self.conv(x)))
                y = F.adaptive_avg_pool2d(x, 1).flatten(1)
                z = self.bn2(self.fc(y))
                seq = x.flatten(2)
                return self.bn3(seq), z
        """
    assert found(code) == []
    assert found(code.replace("self.bn3 = nn.BatchNorm1d(64)", "self.bn3 = nn.BatchNorm2d(64)")) == [("BN202", 12)]


# ------------------------------------------------------------------ fixes
def test_fixes_carry_the_right_text():
    findings = check_code(
        """
        import torch.nn as nn
        net = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm1d(32))
        """,
        select=BN2,
    )
    by_code = {f.code: f for f in findings}
    # a wrong variant and, beside it, a wrong width (the right variant alone would still fail on 64 channels: transfer
    # 11's 6902); the conv's bias is wasted under any BatchNorm over its channels
    assert set(by_code) == {"BN201", "BN202", "BN204"}
    assert [e.replacement for e in by_code["BN202"].fix.edits] == ["BatchNorm2d"]
    assert [e.replacement for e in by_code["BN201"].fix.edits] == ["64"]
    findings = check_code(
        """
        import torch.nn as nn
        width = 64
        net = nn.Sequential(nn.Conv2d(3, width, 3), nn.BatchNorm2d(32))
        """,
        select=BN2,
    )
    assert [e.replacement for f in findings if f.code == "BN201" for e in f.fix.edits] == ["width"]
    bias = [f for f in findings if f.code == "BN204"]
    assert [e.replacement for e in bias[0].fix.edits] == ["nn.Conv2d(3, width, 3, bias=False)"]


def test_bias_rule_needs_direct_feed_and_affine():
    assert found(
        """
        import torch.nn as nn
        a = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Identity(), nn.BatchNorm2d(8))
        b = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Dropout(0.1), nn.BatchNorm2d(8))
        c = nn.Sequential(nn.Linear(3, 8, bias=False), nn.BatchNorm1d(8))
        """
    ) == [("BN204", 2)]


def test_bias_rule_stays_silent_for_shared_helpers_and_per_call_choices():
    # real code: transformers emu3 (a conv wrapper class used before BatchNorm and before a residual add)
    # and deprecated efficientformer (`BatchNorm2d(...) if apply_norm else nn.Identity()`)
    code = """
        import torch.nn as nn

        class ConvWrap(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3)

            def forward(self, x):
                return self.conv(x)

        class Block(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv1 = ConvWrap(c, c)
                self.norm = nn.BatchNorm2d(c)
                self.conv2 = ConvWrap(c, c)

            def forward(self, x):
                return x + self.conv2(self.norm(self.conv1(x)))

        class Embed(nn.Module):
            def __init__(self, cin, cout, apply_norm=True):
                super().__init__()
                self.proj = nn.Conv2d(cin, cout, 3)
                self.norm = nn.BatchNorm2d(cout) if apply_norm else nn.Identity()

            def forward(self, x):
                return self.norm(self.proj(x))

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = Embed(3, 16)
                self.b = Embed(16, 32, apply_norm=False)
                self.block = Block(32)

            def forward(self, x):
                return self.block(self.b(self.a(x)))
        """
    assert found(code) == []
    # the same conv with the BatchNorm built next to it, for every caller, is still flagged
    direct = code.replace("self.norm = nn.BatchNorm2d(cout) if apply_norm else nn.Identity()",
                          "self.norm = nn.BatchNorm2d(cout)")
    assert found(direct) == [("BN204", 24)]


def test_conv_given_another_rank_does_not_blame_the_batchnorm():
    assert found(
        """
        import torch
        import torch.nn as nn
        conv = nn.Conv3d(3, 8, 3, bias=False)
        bn = nn.BatchNorm3d(8)
        y = bn(conv(torch.randn(3, 16, 16, 16)))
        z = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.Conv3d(8, 8, 3, bias=False), nn.BatchNorm3d(8))
        """
    ) == []


def test_bias_rule_needs_the_output_to_go_only_to_batchnorm():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, c, use_bn):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3, padding=1)
                self.bn = nn.BatchNorm2d(c)
                self.head = nn.Conv2d(c, 1, 1)
                self.use_bn = use_bn

            def forward(self, x):
                y = self.conv(x)
                return USE
        """
    for use in ("self.bn(y) + y", "self.bn(y), self.head(y)", "self.bn(y) if self.use_bn else y",
                "torch.cat([self.bn(y), y], 1)", "self.bn(y) * y.sigmoid()"):
        assert found(code.replace("USE", use)) == [], use
    assert found(code.replace("USE", "self.head(self.bn(y))")) == [("BN204", 6)]
    branch = code.replace("return USE", "if self.use_bn:\n                    y = self.bn(y)\n                return y")
    compile(textwrap.dedent(branch), "branch", "exec")
    assert found(branch) == []


def test_bias_rule_silent_when_the_same_conv_also_builds_models_without_batchnorm():
    # torchvision vgg.make_layers: one Conv2d line serves vgg11 (conv -> ReLU) and vgg11_bn (conv -> BN)
    code = """
        import torch.nn as nn

        def make_layers(cfg, batch_norm=False):
            layers = []
            in_channels = 3
            for v in cfg:
                if v == "M":
                    layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
                else:
                    conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
                    if batch_norm:
                        layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                    else:
                        layers += [conv2d, nn.ReLU(inplace=True)]
                    in_channels = v
            return nn.Sequential(*layers)
        """
    assert found(code) == []
    assert found(code.replace("layers += [conv2d, nn.ReLU(inplace=True)]", "pass")) == [("BN204", 10)]


def test_inherited_forward_runs_on_the_subclass_layers():
    # timm senet: SEBottleneck sets the layers, Bottleneck.forward wires them
    code = """
        import torch.nn as nn

        class Bottleneck(nn.Module):
            def forward(self, x):
                return self.relu(self.bn1(self.conv1(x)))

        class SEBottleneck(Bottleneck):
            def __init__(self, inplanes, planes):
                super().__init__()
                self.conv1 = nn.Conv2d(inplanes, planes * 2, kernel_size=1, bias=False)
                self.bn1 = nn.BatchNorm2d(planes * 2)
                self.relu = nn.ReLU(inplace=True)
        """
    assert found(code) == []
    assert found(code.replace("nn.BatchNorm2d(planes * 2)", "nn.BatchNorm2d(planes * 4)")) == [("BN201", 11)]


def test_bias_verdict_survives_many_call_sites():
    """A helper used at many call sites (here 2 x 9 through a class built at module level) is still judged
    on its own for BN204: the per-BatchNorm cap on call-site views must not crowd out the standalone one."""
    calls = "\n".join(f"        self.b{i} = block({2 ** i}, {2 ** (i + 1)})" for i in range(9))
    code = f"""
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
{calls}


net = Net()
"""
    findings = check_code(code, select=("BN204",))
    assert codes_and_lines(findings) == [("BN204", 5)], findings


def test_one_wrong_batchnorm_does_not_make_the_next_layers_wrong_too():
    """The rank after a BatchNorm that saw a tensor of unknown rank stays unknown (PointNet's head)."""
    code = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn4 = nn.BatchNorm2d(512)
        self.bn5 = nn.BatchNorm1d(256)

    def forward(self, x):
        x = torch.max(x, 2)[0]
        x = F.relu(self.bn4(self.fc1(x)))
        return F.relu(self.bn5(self.fc2(x)))
"""
    assert codes_and_lines(check_code(code, select=("BN2",))) == [("BN202", 11)]


def test_widths_imported_from_a_config_file(tmp_path):
    """Module constants of another project file are widths too (``from config import``, ``import config``,
    relative imports, tuples); a name bound twice there, or a value computed at run time, stays unknown."""
    import json

    from tests.conftest import run_cli

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text(
        "import os\nHEAD = 384\nFEATURES = 256\nSTAGES = (32, 64)\nTWICE = 64\nTWICE = 128\n"
        "FROM_ENV = int(os.environ.get('W', 64))\n"
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "widths.py").write_text("STEM = 48\n")
    (tmp_path / "model.py").write_text(textwrap.dedent("""\
        import torch.nn as nn
        import config
        from config import FEATURES, FROM_ENV, HEAD, STAGES, TWICE
        head = nn.Sequential(nn.Conv2d(3, HEAD, 1, bias=False), nn.BatchNorm2d(FEATURES))
        body = nn.Sequential(nn.Conv2d(3, STAGES[0], 1, bias=False), nn.BatchNorm2d(config.STAGES[1]))
        good = nn.Sequential(nn.Conv2d(3, config.HEAD, 1, bias=False), nn.BatchNorm2d(HEAD))
        twice = nn.Sequential(nn.Conv2d(3, 64, 1, bias=False), nn.BatchNorm2d(TWICE))
        env = nn.Sequential(nn.Conv2d(3, 32, 1, bias=False), nn.BatchNorm2d(FROM_ENV))
    """))
    (tmp_path / "pkg" / "net.py").write_text(
        "import torch.nn as nn\nfrom .widths import STEM\n"
        "stem = nn.Sequential(nn.Conv2d(3, 32, 1, bias=False), nn.BatchNorm2d(STEM))\n"
    )
    result = run_cli("check", "--select", "BN201", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    found = sorted((f["path"].replace("\\", "/").split("/")[-1], f["line"]) for f in json.loads(result.stdout))
    assert found == [("model.py", 4), ("model.py", 5), ("net.py", 3)], result.stdout + result.stderr


@pytest.mark.parametrize("package", [True, False])
def test_config_beside_the_package_without_a_project_marker(tmp_path, package):
    """``from config import W`` in models/net.py, config.py at the top where ``python train.py`` runs:
    found with no pyproject.toml or .git, whether models/ is a package or a plain folder."""
    import json

    from tests.conftest import run_cli

    (tmp_path / "proj" / "models").mkdir(parents=True)
    (tmp_path / "proj" / "config.py").write_text("STEM_WIDTH = 24\nBASE_WIDTH = 32\n")
    if package:
        (tmp_path / "proj" / "models" / "__init__.py").write_text("from .net import Net\n")
    (tmp_path / "proj" / "models" / "net.py").write_text(
        "import torch.nn as nn\nfrom config import BASE_WIDTH, STEM_WIDTH\n"
        "stem = nn.Sequential(nn.Conv2d(3, STEM_WIDTH, 3, bias=False), nn.BatchNorm2d(BASE_WIDTH))\n"
        "ok = nn.Sequential(nn.Conv2d(3, BASE_WIDTH, 3, bias=False), nn.BatchNorm2d(BASE_WIDTH))\n"
    )
    result = run_cli("check", "--select", "BN201", "--no-cache", "--format", "json", "proj", cwd=tmp_path)
    found = [(f["path"].replace("\\", "/").split("/")[-1], f["line"]) for f in json.loads(result.stdout)]
    assert found == [("net.py", 3)], result.stdout + result.stderr


@pytest.mark.parametrize("norm, expected", [
    ("x = self.norm(x)", [("BN203", 14)]),  # (N, T, 2H) from pad_packed_sequence: features last
    ("x = self.norm(x.transpose(1, 2)).transpose(1, 2)", []),
])
def test_a_packed_sequence_padded_back_keeps_its_features_last(norm, expected):
    code = f"""
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self, hidden=128):
                super().__init__()
                self.rnn = nn.GRU(64, hidden, batch_first=True, bidirectional=True)
                self.norm = nn.BatchNorm1d(2 * hidden)
                self.out = nn.Linear(2 * hidden, 10)

            def forward(self, x, lengths):
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
                x, _ = self.rnn(packed)
                x, _ = nn.utils.rnn.pad_packed_sequence(x, batch_first=True)
                {norm}
                return self.out(x)
    """
    assert codes_and_lines(check_code(code, select=BN2)) == expected


def test_layers_built_by_a_helper_of_another_file(tmp_path):
    """``conv3x3(in, out)`` imported from another project file is run there with the call's arguments:
    its output width meets the BatchNorm here. Its bias is not taken over (no BN204 from a foreign
    helper). A helper that returns an ``nn.Sequential`` of layers it builds is followed too: ``conv_bn(base, 64)``
    ends in BatchNorm2d(64), which a BatchNorm2d(32) follows (line 11; unknown before session 79)."""
    import json

    from tests.conftest import run_cli

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "__init__.py").write_text("")
    (tmp_path / "nets" / "blocks.py").write_text(textwrap.dedent("""\
        import torch.nn as nn

        def conv3x3(in_ch, out_ch, stride=1):
            return nn.Conv2d(in_ch, out_ch, 3, stride, 1)

        def conv_bn(in_ch, out_ch):
            return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, bias=False), nn.BatchNorm2d(out_ch))

        def widened(in_ch, out_ch, factor=2):
            return nn.Conv2d(in_ch, out_ch * factor, 1, bias=False)
    """))
    (tmp_path / "nets" / "unet.py").write_text(textwrap.dedent("""\
        import torch.nn as nn
        from .blocks import conv3x3, conv_bn, widened

        class Net(nn.Module):
            def __init__(self, base=24):
                super().__init__()
                self.stem = nn.Sequential(conv3x3(1, base), nn.BatchNorm2d(base * 2))
                self.good = nn.Sequential(conv3x3(base, base, stride=2), nn.BatchNorm2d(base))
                self.wide = nn.Sequential(widened(base, base), nn.BatchNorm2d(base * 2))
                self.bad_wide = nn.Sequential(widened(base, base, 3), nn.BatchNorm2d(base * 2))
                self.block = nn.Sequential(conv_bn(base, 64), nn.BatchNorm2d(32))
    """))
    result = run_cli("check", "--select", "BN2", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    found = sorted((f["path"].replace("\\", "/").split("/")[-1], f["line"], f["code"]) for f in json.loads(result.stdout))
    assert found == [("unet.py", 7, "BN201"), ("unet.py", 10, "BN201"), ("unet.py", 11, "BN201")], \
        result.stdout + result.stderr


@pytest.mark.parametrize("norm", [
    "self.norm = nn.BatchNorm2d({w}) if use_bn else nn.Identity()",
    "if use_bn:\n                    self.norm = nn.BatchNorm2d({w})\n                else:\n                    self.norm = nn.Identity()",
])
def test_an_optional_batchnorm_is_checked_where_it_exists(norm):
    """``BN(c) if use_bn else Identity()``: a wrong width is wrong whenever the BatchNorm is built (BN201);
    a bias before it is wasted only on the paths that build it (no BN204)."""
    code = """
        import torch.nn as nn

        class Cell(nn.Module):
            def __init__(self, hidden, use_bn=True):
                super().__init__()
                self.gates = nn.Conv2d(hidden, 4 * hidden, 3, padding=1{bias})
                {norm}

            def forward(self, x):
                return self.norm(self.gates(x))
    """
    wrong = code.format(bias=", bias=not use_bn", norm=norm.format(w="hidden"))
    assert [c for c, _ in codes_and_lines(check_code(wrong, select=("BN2",)))] == ["BN201"]
    right = code.format(bias="", norm=norm.format(w="4 * hidden"))
    assert codes_and_lines(check_code(right, select=("BN2",))) == []


@pytest.mark.parametrize("ids, expected", [("item_ids", []), ("user_indices", []), ("input_ids", ["BN203"]),
                                           ("token_ids", ["BN203"])])
def test_embedding_of_entity_ids_is_one_row_per_sample(ids, expected):
    """A recommender's ``item_emb(item_ids)`` is (N, E): one item per row; ``input_ids`` are a token batch."""
    code = f"""
        import torch.nn as nn

        class Tower(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(1000, 64)
                self.mlp = nn.Sequential(nn.BatchNorm1d(64), nn.Linear(64, 32))

            def forward(self, {ids}):
                return self.mlp(self.emb({ids}))
    """
    assert [c for c, _ in codes_and_lines(check_code(code, select=("BN203",)))] == expected


# ------------------------------------------------------------------ reaching the analysis
def test_the_analysis_and_its_verdicts_are_made_once_per_file():
    import libcst as cst

    from bn_lint.semantic.shapes.checks import verdicts_of
    from bn_lint.semantic.shapes.producers import chains_of
    from bn_lint.semantic.file.model import FileModel

    code = "import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(32))\n"
    model = FileModel("net.py", code, cst.parse_module(code))
    assert chains_of(model) is chains_of(model)
    assert len(chains_of(model).observations) == 1  # the BatchNorm2d, fed by the Conv2d
    assert sorted(v.code for v in verdicts_of(model)) == ["BN201", "BN204"]  # 32 against 16; the conv's bias
    assert verdicts_of(model) is verdicts_of(model)



def test_a_helper_judged_per_call_unless_a_file_beside_imports_it(tmp_path):
    """BN204 for a helper whose every call feeds a BatchNorm holds back only when another file of the
    folder may call it too: one that imports this module, not a script that has a `conv` of its own."""
    from conftest import run_cli

    (tmp_path / "net.py").write_text(
        "import torch.nn as nn\n\n\ndef conv(i, o):\n    return nn.Conv2d(i, o, 3, padding=1)\n\n\n"
        "net = nn.Sequential(conv(3, 64), nn.BatchNorm2d(64), nn.ReLU())\n")
    (tmp_path / "other_script.py").write_text("def conv(x):\n    return x\n\n\nprint(conv(1))\n")
    found = run_cli("check", "--no-cache", "--format", "concise", "net.py", cwd=tmp_path)
    assert "net.py:5:12: BN204" in found.stdout.decode()
    (tmp_path / "train.py").write_text("from net import conv\n\nhead = conv(64, 10)\n")
    found = run_cli("check", "--no-cache", "--format", "concise", "net.py", cwd=tmp_path)
    assert "BN204" not in found.stdout.decode() and found.returncode == 0


@pytest.mark.parametrize("width, expected", [("32", [("BN201", 8)]), ("64", [])])
def test_a_module_set_on_an_empty_sequential_is_its_next_item(width, expected):
    """torchvision's DenseNet: `self.features = nn.Sequential()`, then `self.features.norm0 = ...`."""
    assert found(f"""
        import torch.nn as nn

        class Stem(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential()
                self.features.conv0 = nn.Conv2d(3, 64, 7, bias=False)
                self.features.norm0 = nn.BatchNorm2d({width})
                self.features.relu0 = nn.ReLU(inplace=True)

            def forward(self, x):
                return self.features(x)
    """) == expected


def test_an_ordered_dict_filled_item_by_item_feeds_sequential():
    # (transfer batch 5, 1656: pytorchvideo's Conv3d3x1x1BnAct; the BatchNorm only some paths add still counts)
    code = '''
        from collections import OrderedDict
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self, in_channels, out_channels, use_bn=True):
                super().__init__()
                kernel = OrderedDict()
                kernel["conv"] = nn.Conv3d(in_channels, out_channels, 3, bias=False)
                if use_bn:
                    kernel["bn"] = nn.BatchNorm3d(BN_WIDTH)
                kernel["act"] = nn.ReLU()
                self.kernel = nn.Sequential(kernel)

            def forward(self, x):
                return self.kernel(x)
    '''
    assert found(code.replace("BN_WIDTH", "in_channels")) == [("BN201", 10)]
    assert found(code.replace("BN_WIDTH", "out_channels")) == []
    # a key a path may set to another layer is not known: silent
    assert found(code.replace("BN_WIDTH", "in_channels").replace('kernel["act"] = nn.ReLU()',
                                                                  'kernel["bn"] = make(out_channels)')) == []


_PART_NET = """\
import torch.nn as nn
from yacs.config import CfgNode


class PartNet(nn.Module):
    def __init__(self, part_num, dim, part_dim):
        super().__init__()
        self.reduction = nn.Sequential(nn.Conv2d(dim, part_dim, 1, bias=False), nn.BatchNorm2d({bn_width}))

    def forward(self, x):
        return self.reduction(x)


def build(cfg{annotation}):
    return PartNet(cfg.MODEL.PCB.PART_NUM, cfg.MODEL.PCB.DIM, cfg.MODEL.PCB.PART_DIM)
"""
_DEFAULTS = ("from yacs.config import CfgNode as CN\n_C = CN()\n_C.MODEL = CN()\n_C.MODEL.PCB = CN()\n"
             "_C.MODEL.PCB.PART_NUM = 3\n_C.MODEL.PCB.PART_DIM = 512\n_C.MODEL.PCB.DIM = 2048\n")


@pytest.mark.parametrize("bn_width, annotation, extension, found", [
    ("part_num", ": CfgNode", "", [("net.py", 8)]),  # the tree's defaults: 3 against 512
    ("part_dim", ": CfgNode", "", []),  # the clean twin
    ("part_num", "", "", []),  # a parameter not said to be a configuration node
    # another file extends the defaults, writing the path in a function: the default may not hold
    ("part_num", ": CfgNode", "def add_pcb(cfg):\n    cfg.MODEL.PCB.PART_NUM = 512\n", []),
])
def test_widths_of_a_configuration_node_parameter_from_the_tree_of_defaults(tmp_path, bn_width, annotation,
                                                                           extension, found):
    """``def build(cfg: CfgNode)`` reading ``cfg.MODEL.PCB.PART_NUM``: the default the project's one module-level
    tree writes for that path (``_C.MODEL.PCB.PART_NUM = 3`` in its defaults module), which no call overrides."""
    import json

    from tests.conftest import run_cli

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "defaults.py").write_text(_DEFAULTS)
    (tmp_path / "net.py").write_text(_PART_NET.format(bn_width=bn_width, annotation=annotation))
    if extension:
        (tmp_path / "extension.py").write_text(extension)
    result = run_cli("check", "--select", "BN201", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert sorted((f["path"].split("/")[-1], f["line"]) for f in json.loads(result.stdout)) == found, result.stderr
