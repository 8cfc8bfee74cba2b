"""The same code gives the same findings in every process: no answer depends on the order of a set
(string hashes change with each interpreter's ``PYTHONHASHSEED``)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CASE = Path(__file__).parent / "data" / "realworld" / "cases" / "502_pytorch3dunet_trainer_validate_no_eval.py"


def _findings(seed: int) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "concise",
                           "--select", "BN101", str(CASE)], capture_output=True, text=True, env=env, check=False)
    assert done.returncode in (0, 1), done.stderr
    return [line for line in done.stdout.splitlines() if "BN101" in line]


def test_a_helper_that_runs_two_modules_is_judged_alike_under_every_hash_seed():
    # `validate()` runs `self._forward_pass(...)`, which runs `self.model` and then `self.loss_criterion`;
    # its first iteration (before `self.model.final_activation(...)`, a method it cannot see) shows
    # `self.model` in training mode. Which module the call's first pass stood for used to follow the
    # order of a set of strings: found under some seeds, missed under others (seeds 0 and 2 missed it).
    runs = {seed: _findings(seed) for seed in (0, 1, 2, 3)}
    assert all(len(found) == 1 and ":130:" in found[0] for found in runs.values()), runs
