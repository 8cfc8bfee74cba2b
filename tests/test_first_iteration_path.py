"""The first iteration of a loop is a path of its own (RULES.md: a bug on one visible path is a bug): a
no-grad helper called at the top of a training loop runs the model as the code before the loop leaves it
(built, ``load_state_dict``: training mode), whatever an unreset ``.eval()`` further down the loop brings
to later iterations (transfer batch 2, group B)."""
from __future__ import annotations

from tests.helpers import check_code, codes_and_lines

_BUG = """
import torch
import torch.nn as nn
import torch.nn.functional as F


def obtain_label(loader, net):
    with torch.no_grad():
        return [net(x).argmax(1) for x, _ in loader]


net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())
net.load_state_dict(torch.load("net.pt"))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
loader, step = torch.load("loader.pt"), 0
while step < 1000:
    labels = obtain_label(loader, net)
    for x, _ in loader:
        loss = F.cross_entropy(net(x), labels[step % 10])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    step += 1
    net.eval()
"""


def test_an_evaluation_at_the_top_of_the_loop_is_flagged_on_the_first_iteration():
    found = check_code(_BUG, select=("BN101", "BN103"))
    assert codes_and_lines(found) == [("BN101", 8), ("BN103", 23)]
    assert "first iteration of the loop at line 15" in found[0].message


def test_the_clean_twin_puts_it_in_eval_before_the_helper():
    clean = _BUG.replace("    labels = obtain_label(loader, net)\n",
                         "    net.eval()\n    labels = obtain_label(loader, net)\n    net.train()\n")
    clean = clean[:clean.rindex("    net.eval()")]
    assert codes_and_lines(check_code(clean, select=("BN1",))) == []


def test_the_clean_twin_whose_helper_does_eval_itself():
    clean = _BUG.replace("    with torch.no_grad():", "    net.eval()\n    with torch.no_grad():")
    assert ("BN101", 9) not in codes_and_lines(check_code(clean, select=("BN1",)))
    assert [f.code for f in check_code(clean, select=("BN101",))] == []


def test_eval_on_another_branch_before_the_call_is_no_first_iteration_path():
    # `if phase == 'train': net.train() else: net.eval()` before the run: each branch is its own path, and
    # the evaluation one is in eval mode from the start
    shared = """
import torch
import torch.nn as nn


net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for epoch in range(10):
    for phase in ["train", "val"]:
        if phase == "train":
            net.train()
        else:
            net.eval()
        for x in torch.load(phase + ".pt"):
            with torch.set_grad_enabled(phase == "train"):
                out = net(x)
                if phase == "train":
                    out.mean().backward()
                    optimizer.step()
"""
    assert [f.code for f in check_code(shared, select=("BN101",))] == []
