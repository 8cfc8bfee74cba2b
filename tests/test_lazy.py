"""libcst loaded lazily, core first: the package still works as a whole for anyone who uses more."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_core_parses_and_the_rest_loads_on_first_use():
    proc = _run(
        "import sys\n"
        "import bn_lint\n"
        "import libcst as cst\n"
        "module = cst.parse_module('x = f(1)\\n')\n"
        "assert isinstance(module.body[0].body[0].value, cst.Call)\n"
        "assert 'libcst.metadata' not in sys.modules and 'libcst.helpers' not in sys.modules\n"
        "from libcst import native\n"  # a submodule, imported as one (not by running the package's __init__)
        "assert 'libcst.metadata' not in sys.modules\n"
        "wrapper = cst.MetadataWrapper(module)\n"  # a name outside the core: the whole package
        "assert 'libcst.metadata' in sys.modules and '__getattr__' not in vars(sys.modules['libcst'])\n"
        "from libcst.metadata import PositionProvider\n"
        "assert wrapper.resolve(PositionProvider)\n"
        "import libcst.matchers as m\n"
        "assert m.matches(module.body[0].body[0].value, m.Call())\n"
        "assert cst.ensure_type(module, cst.Module) is module\n"
        "print('ok')\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_a_plain_import_of_libcst_first_is_left_alone():
    proc = _run("import libcst, sys\nimport bn_lint\nassert 'libcst.metadata' in sys.modules\n"
                "assert sys.modules['libcst'] is libcst\nprint('ok')\n")
    assert proc.returncode == 0, proc.stderr


def test_another_layout_falls_back_to_the_whole_package():
    proc = _run(
        "import sys\n"
        "import bn_lint.lazy as lazy\n"
        "lazy.LIBCST_CORE = lazy.LIBCST_CORE + ('libcst._no_such_module',)\n"
        "import libcst as cst\n"
        "assert cst.parse_module('x = 1\\n').code == 'x = 1\\n'\n"
        "assert 'libcst.metadata' in sys.modules\n"
        "print('ok')\n"
    )
    assert proc.returncode == 0, proc.stderr
