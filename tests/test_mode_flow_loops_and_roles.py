"""The mode flow (issue 42, miss map groups 3, 10, 11, 13): loops that train run, shared train/eval steps
decided by their call's arguments, harmless uses, evaluations inside the training loop, and backward passes
that train nothing. Each capability: the bug flagged at its line, its clean twin silent."""
from __future__ import annotations

from tests.helpers import check_code, codes_and_lines

_HEAD = """
import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
"""


def _bn1(code: str) -> list[tuple[str, int]]:
    return codes_and_lines(check_code(_HEAD + code, select=("BN1",)))


# ------------------------------------------------------------------ a loop that trains runs (group 11)
_TRAIN_IN_BATCH_LOOP = """

def evaluate(net, data):
    {eval}return [net(x).argmax(1) for x, _ in data]


def train(net, train_data, test_data):
    for epoch in range(3):
        for x, y in train_data:
            net.train()
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        evaluate(net, test_data)
"""


def test_train_inside_the_batch_loop_leaves_training_mode_after_it():
    """``.train()`` inside the batch loop: the loop trains, so it runs, and the mode after it is training."""
    assert _bn1(_TRAIN_IN_BATCH_LOOP.format(eval="")) == [("BN101", 9)]


def test_train_inside_the_batch_loop_then_eval_is_clean():
    assert _bn1(_TRAIN_IN_BATCH_LOOP.format(eval="net.eval()\n    ")) == []


# ------------------------------------------------------------------ str(model) is no escape (group 11)
_HOLDER = """

class Holder:
    def __init__(self):
        self.net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.optimizer = torch.optim.Adam(self.net.parameters())

    def train_on_batch(self, images):
        self.optimizer.zero_grad()
        loss = self.net(images).mean()
        loss.backward()
        self.optimizer.step()

    def validate_on_batch(self, images):
        {eval}with torch.no_grad():
            return self.net(images).mean().item()

    def describe(self):
        return str(self.net) + repr(self.net)
"""


def test_str_of_the_model_in_another_method_keeps_its_mode():
    assert _bn1(_HOLDER.format(eval="")) == [("BN101", 21)]


def test_str_of_the_model_with_eval_in_the_validation_is_clean():
    assert _bn1(_HOLDER.format(eval="self.net.eval()\n        ")) == []


# ------------------------------------------------------------------ evaluation in the training loop (group 3)
_TEST_FORWARD_IN_TRAINING = """

def main(train_loader, test_x):
    for step, x in enumerate(train_loader):
        loss = (net(x) - 1).abs().mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % 100 == 0:
            {eval}with torch.no_grad():
                output = net({data})
                torch.save(output.cpu(), 'step%d.pt' % step)
            {train}
"""


def test_no_grad_forward_on_test_data_inside_the_training_loop():
    assert _bn1(_TEST_FORWARD_IN_TRAINING.format(eval="", data="test_x", train="")) == [("BN101", 16)]


def test_no_grad_forward_on_test_data_between_eval_and_train_is_clean():
    code = _TEST_FORWARD_IN_TRAINING.format(eval="net.eval()\n            ", data="test_x", train="net.train()")
    assert _bn1(code) == []


def test_no_grad_forward_on_the_training_batch_is_not_an_evaluation():
    """A forward under no_grad on the batch being trained on (a target, a teacher): not evaluation data."""
    assert _bn1(_TEST_FORWARD_IN_TRAINING.format(eval="", data="x", train="")) == []


# ------------------------------------------------------------------ a backward that trains nothing (group 13)
_SALIENCY = """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
model.load_state_dict(torch.load("w.pt"))
{eval}
for x in [torch.randn(2, 3, 8, 8, requires_grad=True)]:
    logits = model(x)
    logits.max().backward()
    saliency = x.grad.abs()
"""


def test_saliency_backward_is_not_a_training_step():
    assert codes_and_lines(check_code(_SALIENCY.format(eval=""), select=("BN1",))) == [("BN101", 8)]


def test_saliency_backward_in_eval_mode_is_clean():
    assert codes_and_lines(check_code(_SALIENCY.format(eval="model.eval()"), select=("BN1",))) == []


def test_backward_of_a_loss_with_an_optimizer_stays_a_training_step():
    code = _SALIENCY.format(eval="opt = torch.optim.SGD(model.parameters(), lr=0.1)").replace(
        "logits.max().backward()", "logits.max().backward()\n    opt.step()")
    assert codes_and_lines(check_code(code, select=("BN1",))) == []


# ------------------------------------------------------------------ an evaluating helper before the step (BN103)
_GENERATE = """

def generate(net, x):
    net.eval()
    out = net(x).detach()
    {restore}return out


for epoch in range(8):
    for x in [torch.randn(8, 4)]:
        mask = generate(net, x)
        loss = net(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def test_evaluating_helper_before_the_step_leaves_it_in_eval():
    assert _bn1(_GENERATE.format(restore="")) == [("BN103", 16)]


def test_evaluating_helper_that_restores_training_mode_is_clean():
    assert _bn1(_GENERATE.format(restore="net.train()\n    ")) == []


def test_bare_eval_before_the_step_is_a_choice():
    """``net.eval()`` right before the step in the same iteration: training with frozen statistics on purpose."""
    code = _GENERATE.format(restore="").replace("mask = generate(net, x)", "net.eval()")
    assert _bn1(code) == []


# ------------------------------------------------------------------ a shared train/eval step (group 10)
_SHARED_STEP = """

def make_train(phase, x, y):
    loss = ((net(x) - y) ** 2).mean()
    if phase == 'train':
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def train(train_loader, val_loader):
    for epoch in range(3):
        {train}for x, y in train_loader:
            make_train('train', x, y)
        {eval}for x, y in val_loader:
            make_train('valid', x, y)
"""


def test_shared_step_called_for_validation_runs_the_trained_model():
    assert _bn1(_SHARED_STEP.format(train="", eval="")) == [("BN101", 22)]


def test_shared_step_called_for_validation_after_eval_is_clean():
    assert _bn1(_SHARED_STEP.format(train="net.train()\n        ", eval="net.eval()\n        ")) == []
