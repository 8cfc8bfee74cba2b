"""The top level of a script or notebook is a sequence of phases: a training step of a later phase (another
model's) does not make an earlier top-level evaluation part of a training step; one that the evaluation's
output reaches does (transfer batch 2, group F)."""
from __future__ import annotations

from tests.helpers import check_code, codes_and_lines

_BUG = """
import torch
import torch.nn as nn

clf = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())
clf.load_state_dict(torch.load("clf.pt"))
batch_x, batch_y = torch.load("test.pt")
with torch.inference_mode():
    pred = clf(batch_x).argmax(1)
print((pred == batch_y).float().mean())

vae = nn.Sequential(nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 16))
vae_optimizer = torch.optim.Adam(vae.parameters())
x = torch.load("faces.pt")
loss = (vae(x) - x).pow(2).mean()
loss.backward()
vae_optimizer.step()
"""


def test_an_evaluation_before_another_models_training_phase_is_flagged():
    assert codes_and_lines(check_code(_BUG, select=("BN101",))) == [("BN101", 8)]


def test_the_clean_twin_puts_it_in_eval():
    clean = _BUG.replace("with torch.inference_mode():", "clf.eval()\nwith torch.inference_mode():")
    assert codes_and_lines(check_code(clean, select=("BN1",))) == []


def test_a_later_phase_that_a_named_training_step_runs():
    named = _BUG[:_BUG.index("x = torch.load")] + "loss = vae_train_step(torch.load('faces.pt'))\n"
    assert codes_and_lines(check_code(named, select=("BN101",))) == [("BN101", 8)]


def test_a_teacher_whose_targets_the_later_step_reads_is_part_of_it():
    teacher = _BUG.replace("loss = (vae(x) - x).pow(2).mean()", "loss = (vae(x) - pred.float().mean()).pow(2).mean()")
    assert codes_and_lines(check_code(teacher, select=("BN101",))) == []
