"""Checks at optimizer.step() (issue 45): BN105 frozen BatchNorm still updating, BN103 a model
trained in the eval mode an earlier evaluation left."""
from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import bn_lint  # noqa: E402
from torch.optim import optimizer as _optim  # noqa: E402

SOURCE = Path(__file__).read_text()


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(SOURCE.splitlines(), 1) if text in line and "line_of(" not in line)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


def steps(model, optimizer, n=3, before=None):
    for _ in range(n):
        if before is not None:
            before()
        loss = model(torch.randn(8, 3, 8, 8)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_frozen_backbone_in_training_mode_is_bn105_at_the_optimizer():
    model = Net()
    with bn_lint.trace() as report:
        for p in model.backbone.parameters():
            p.requires_grad = False
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)  # frozen
        steps(model, optimizer)
    (finding,) = report.findings
    assert (finding.code, finding.severity.value, finding.line) == ("BN105", "warning", line_of("lr=0.1)  # frozen"))
    assert finding.message.startswith("Net: in training mode with frozen affine parameters")
    assert finding.message.endswith("[3 optimizer steps; 2 BatchNorm layers: backbone.1, backbone.4]")


def test_parameters_left_out_of_the_optimizer_are_frozen_too():
    model = Net()
    with bn_lint.trace() as report:
        optimizer = torch.optim.Adam(model.head.parameters(), lr=1e-3)  # only the head
        steps(model, optimizer, n=2)
    assert [(f.code, f.line) for f in report.findings] == [("BN105", line_of("# only the head"))]


def test_no_bn105_when_frozen_layers_are_in_eval_mode_or_trained_or_not_the_optimizers_model():
    model, teacher = Net(), Net()

    def freeze():
        model.train()
        model.backbone.eval()  # the freezing recipe: BatchNorm of the frozen backbone in eval mode

    with bn_lint.trace() as report:
        for p in model.backbone.parameters():
            p.requires_grad = False
        optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1)
        steps(model, optimizer, before=freeze)
        full = Net()
        steps(full, torch.optim.SGD(full.parameters(), lr=0.1))  # everything trained
        tta = Net()  # test-time adaptation: only the BatchNorm parameters trained, in training mode
        bn_params = [p for m in tta.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()]
        steps(tta, torch.optim.SGD(bn_params, lr=0.1))
        student = Net()
        adam = torch.optim.Adam(student.parameters())
        for _ in range(2):  # a teacher in training mode, not in any optimizer, is not the optimizer's model
            with torch.no_grad():
                teacher(torch.randn(8, 3, 8, 8))
            student(torch.randn(8, 3, 8, 8)).sum().backward()
            adam.step()
    assert [f.code for f in report.findings if f.code == "BN105"] == []


def test_training_after_an_evaluation_that_left_eval_mode_is_bn103_at_the_eval_call():
    model = Net()

    def evaluate(net):
        net.eval()  # never undone
        with torch.no_grad():
            net(torch.randn(8, 3, 8, 8))

    with bn_lint.trace() as report:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        for epoch in range(3):
            steps(model, optimizer, n=2)
            evaluate(model)
    (finding,) = report.findings
    assert (finding.code, finding.severity.value, finding.line) == ("BN103", "error", line_of("# never undone"))
    assert finding.message.endswith("[4 optimizer steps; 2 BatchNorm layers: backbone.1, backbone.4]")


def test_no_bn103_with_train_at_each_epoch_a_deliberate_freeze_or_eval_from_the_start():
    def evaluate(net):
        net.eval()
        with torch.no_grad():
            net(torch.randn(8, 3, 8, 8))

    with bn_lint.trace() as report:
        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(2):
            model.train()
            steps(model, optimizer, n=2)
            evaluate(model)
        frozen = Net()
        opt = torch.optim.SGD(frozen.parameters(), lr=0.1)
        steps(frozen, opt, n=2)
        for m in frozen.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()  # freeze the BatchNorm layers on purpose
        steps(frozen, opt, n=2)
        fixed = Net()
        fixed.eval()  # fine-tuning with frozen statistics from the start
        steps(fixed, torch.optim.SGD(fixed.parameters(), lr=0.1), n=2)
    assert [f.code for f in report.findings if f.code == "BN103"] == []


def test_hooks_and_patches_are_gone_after_the_trace():
    before = (len(_optim._global_optimizer_pre_hooks), torch.optim.Optimizer.__init__, nn.Module.train,
              torch.utils.data.DataLoader.__iter__)
    with bn_lint.trace():
        assert len(_optim._global_optimizer_pre_hooks) == before[0] + 1
    assert (len(_optim._global_optimizer_pre_hooks), torch.optim.Optimizer.__init__, nn.Module.train,
            torch.utils.data.DataLoader.__iter__) == before


def test_a_frozen_momentum_encoder_run_under_no_grad_is_not_bn105():
    class MoCo(nn.Module):  # the key encoder: no optimizer, BatchNorm in training mode on purpose
        def __init__(self):
            super().__init__()
            self.encoder_q, self.encoder_k = Net(), Net()
            for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
                param_k.data.copy_(param_q.data)
                param_k.requires_grad = False

        def forward(self, im_q, im_k):
            q = self.encoder_q(im_q)
            with torch.no_grad():
                for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
                    param_k.data = param_k.data * 0.999 + param_q.data * 0.001
                k = self.encoder_k(im_k)
            return (q * k).sum()

    with bn_lint.trace() as report:
        model = MoCo()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
        for _ in range(3):
            loss = model(torch.randn(8, 3, 8, 8), torch.randn(8, 3, 8, 8))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert [f.code for f in report.findings] == []


def test_patched_methods_keep_torchs_signatures_while_tracing():
    import inspect

    expected = [inspect.signature(f) for f in (torch.utils.data.DataLoader.__init__, torch.optim.Optimizer.__init__,
                                               nn.Module.train)]
    with bn_lint.trace():
        assert [inspect.signature(f) for f in (torch.utils.data.DataLoader.__init__, torch.optim.Optimizer.__init__,
                                               nn.Module.train)] == expected


def test_another_optimizers_step_does_not_hide_a_frozen_layer():
    """Two models, two optimizers (a GAN's loop): the generator's step between the discriminator's forward
    and its step must not reset what the discriminator's step checks."""
    gen, disc = Net(), Net()
    with bn_lint.trace() as report:
        opt_g = torch.optim.Adam(gen.parameters())
        for p in disc.backbone.parameters():
            p.requires_grad = False
        opt_d = torch.optim.Adam(disc.head.parameters())  # the discriminator's backbone: frozen
        for _ in range(2):
            d_loss = disc(torch.randn(8, 3, 8, 8)).sum()
            g_loss = gen(torch.randn(8, 3, 8, 8)).sum()
            g_loss.backward()
            opt_g.step()
            d_loss.backward()
            opt_d.step()
    assert [(f.code, f.line) for f in report.findings] == [("BN105", line_of("# the discriminator's backbone"))]
