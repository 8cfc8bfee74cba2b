"""PyTorch < 0.4 turned gradients off with ``Variable(x, volatile=True)``: a model given one runs for
inference, as under ``torch.no_grad()`` (transfer batch 2, face-alignment's ``get_landmarks``)."""
from __future__ import annotations

from tests.helpers import check_code, codes_and_lines

_BUG = """
import torch.nn as nn
from torch.autograd import Variable


class FaceAlignment:
    def __init__(self):
        self.net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4))
        self.net.train()

    def get_landmarks(self, image):
        return self.net(Variable(image, volatile=True)).data.cpu()
"""


def test_a_model_given_a_volatile_variable_in_training_mode_is_flagged():
    assert codes_and_lines(check_code(_BUG, select=("BN1",))) == [("BN101", 11)]


def test_the_clean_twin_puts_it_in_eval():
    clean = _BUG.replace("self.net.train()", "self.net.eval()")
    assert codes_and_lines(check_code(clean, select=("BN1",))) == []


def test_a_variable_that_keeps_gradients_is_no_evaluation():
    training = _BUG.replace(", volatile=True", "")
    assert codes_and_lines(check_code(training, select=("BN1",))) == []
    assert codes_and_lines(check_code(_BUG.replace("volatile=True", "volatile=False"), select=("BN1",))) == []
