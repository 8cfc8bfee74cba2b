"""Cross-file name resolution shared by every analysis: star imports of project modules, folders a file
adds to ``sys.path``, an imported name's definition in its own file (module-level or a class attribute),
``super()`` methods of bases in other files."""
from __future__ import annotations

from pathlib import Path

import libcst as cst

from bn_lint.project import Project
from bn_lint.semantic.project.definitions import class_level_method, inherited_definition


def _write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_star_import_binds_public_names_and_torch_aliases(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/parts.py": "import torch.nn as nn\nfrom .blocks import Down\n\nclass DoubleConv(nn.Module):\n    pass\n\n"
                        "_hidden = 1\n",
        "pkg/blocks.py": "import torch.nn as nn\n\nclass Down(nn.Module):\n    pass\n",
        "pkg/model.py": "from .parts import *\n\nclass Net(nn.Module):\n    pass\n",
    })
    model = Project().model(str(tmp_path / "pkg/model.py"))
    assert model.imports["nn"] == "torch.nn"  # (the other file's torch alias, as it is)
    assert model.imports["DoubleConv"] == ".parts.DoubleConv"
    assert "_hidden" not in model.imports
    other, name = model.imported(model.imports["Down"], "class")  # re-exported by parts: found in blocks
    assert other.path.endswith("blocks.py") and name == "Down"
    assert model.qualname(cst.parse_expression("nn.BatchNorm2d")) == "torch.nn.BatchNorm2d"


def test_star_import_keeps_to_dunder_all(tmp_path):
    _write(tmp_path, {
        "parts.py": "__all__ = ['A']\n\nclass A:\n    pass\n\nclass B:\n    pass\n",
        "main.py": "from parts import *\n",
    })
    model = Project().model(str(tmp_path / "main.py"))
    assert "A" in model.imports and "B" not in model.imports


def test_sys_path_folders_are_searched(tmp_path):
    _write(tmp_path, {
        "model/deeplab.py": "class DeepLab:\n    pass\n",
        "backup/deeplab.py": "class DeepLab:\n    pass\n",  # (two folders as near hold it: only a path decides)
        "evaluation/run.py": "import os, sys\nsys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)),"
                             " '..', 'model'))\nfrom deeplab import DeepLab\n",
        "evaluation/other.py": "from deeplab import DeepLab\n",
        "scripts/lit.py": "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).parent.parent / 'model'))\n",
        "scripts/unknown.py": "import sys\nsys.path.append(sys.argv[1])\n",
    })
    project = Project()
    run = project.model(str(tmp_path / "evaluation/run.py"))
    assert run.imported_path("deeplab.DeepLab", "class")[0].endswith("model/deeplab.py")
    other = project.model(str(tmp_path / "evaluation/other.py"))  # (its folder's neighbour adds nothing to it)
    assert other.imported_path("deeplab.DeepLab", "class") is None
    project.model(str(tmp_path / "scripts/lit.py"))
    assert project.search_folders[str(tmp_path / "scripts/lit.py")] == (str(tmp_path / "model"),)
    project.model(str(tmp_path / "scripts/unknown.py"))
    assert str(tmp_path / "scripts/unknown.py") not in project.search_folders


def test_a_module_on_no_known_path_is_found_where_the_repository_holds_it(tmp_path):
    _write(tmp_path, {
        ".git/HEAD": "",
        "Code/vico/setup.py": "from setuptools import setup\nsetup(name='vico')\n",  # a local distribution
        "Code/vico/vico/__init__.py": "",
        "Code/vico/vico/nets.py": "class Net:\n    pass\n",
        "Code/api/serve.py": "import vico.nets\nfrom vico.nets import Net\nfrom tools import helper\nimport numpy\n",
        "Code/api/tools.py": "def helper():\n    pass\n",
        "old/vico/nets.py": "class Net:\n    pass\n",  # (a farther copy: the nearer one wins)
        "a/x/tools.py": "", "b/y/tools.py": "",  # (farther than the file's own folder)
    })
    project = Project()
    serve = project.model(str(tmp_path / "Code/api/serve.py"))
    assert serve.imported_path("vico.nets.Net", "class")[0].endswith("Code/vico/vico/nets.py")
    assert project.resolve_module("tools", str(tmp_path / "Code/api/serve.py")).endswith("Code/api/tools.py")
    assert project.resolve_module("numpy", str(tmp_path / "Code/api/serve.py")) is None
    assert project.resolve_module("x.tools", str(tmp_path / "Code/api/serve.py")).endswith("a/x/tools.py")
    assert str(tmp_path / "Code/vico") in project.edges[str(tmp_path / "Code/api/serve.py")]  # (a change there counts)


def test_definition_of_module_names_and_class_attributes(tmp_path):
    _write(tmp_path, {
        "config.py": "from dataclasses import dataclass\n\nWIDTH = 64\n\nclass Base:\n    stem = 32\n\n"
                     "class Widths(Base):\n    stage1 = 64\n\n@dataclass\nclass Config:\n    batch_size: int = 4\n"
                     "    def __init__(self):\n        self.lr = 0.1\n",
        "net.py": "import config\nfrom config import Widths, Config\n",
    })
    model = Project().model(str(tmp_path / "net.py"))
    for dotted, code in (("config.WIDTH", "64"), ("config.Widths.stage1", "64"), ("config.Widths.stem", "32"),
                         ("config.Config.batch_size", "4")):
        found = model.definition(dotted)
        assert found is not None and found[0].code(found[1]) == code, dotted
    assert model.definition("config.Config.lr") is None  # (an instance attribute: no class default)
    assert model.definition("config.Missing") is None


def test_base_class_methods_and_class_level_methods_across_files(tmp_path):
    _write(tmp_path, {
        "base.py": "class Runner:\n    def __init__(self):\n        self.model = None\n\n"
                   "class Tools:\n    @staticmethod\n    def score(m):\n        return m\n\n    def plain(self):\n        pass\n\n"
                   "    @classmethod\n    def create(cls, name):\n        return cls.PRODUCTS[name]()\n",
        "mid.py": "from base import Runner, Tools\n\nclass Mid(Runner):\n    pass\n\nclass MoreTools(Tools):\n    pass\n",
        "top.py": "from mid import Mid, MoreTools\nfrom base import Tools\n\nclass Top(Mid):\n    def __init__(self):\n"
                  "        super().__init__()\n",
    })
    model = Project().model(str(tmp_path / "top.py"))
    owner, info, method = inherited_definition(model, model.classes["Top"], "__init__")
    assert owner.path.endswith("base.py") and info.name == "Runner" and method.name.value == "__init__"
    found = class_level_method(model, cst.parse_expression("Tools.score"))
    assert found is not None and found[1].name.value == "score"
    assert class_level_method(model, cst.parse_expression("Tools.plain")) is None  # (an instance method)
    found = class_level_method(model, cst.parse_expression("MoreTools.create"))  # (a classmethod of a base, across files)
    assert found is not None and found[0].path.endswith("base.py") and found[1].name.value == "create"
    assert class_level_method(model, cst.parse_expression("tools.score")) is None  # (not a class's name)
