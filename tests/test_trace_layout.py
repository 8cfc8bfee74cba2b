"""BatchNorm1d on (N, L, E) at run time (BN203, and the BN201 hint): what produced the input."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import bn_lint  # noqa: E402

HERE = __file__


def line_of(text: str) -> int:
    with open(HERE, encoding="utf-8") as handle:
        return next(n for n, line in enumerate(handle, 1) if text in line and "line_of(" not in line)


def codes(report):
    return sorted(f.code for f in report.findings)


class Head(nn.Module):
    """(N, L, in) -> Linear -> [between] -> BatchNorm1d(E)."""

    def __init__(self, width: int, between=lambda t: t, mode: str = "linear") -> None:
        super().__init__()
        self.proj = nn.Linear(width, width) if mode == "linear" else nn.LayerNorm(width)
        self.norm = nn.BatchNorm1d(width)  # the norm
        self.between = between

    def forward(self, x):
        return self.norm(self.between(self.proj(x)))


@pytest.mark.parametrize("between", [lambda t: t, torch.relu, lambda t: nn.functional.dropout(t, 0.1) * 2,
                                     lambda t: t.contiguous() + 1],
                         ids=["direct", "relu", "dropout", "elementwise"])
def test_sequence_layout_with_l_equal_e_is_bn203_at_the_layer(between):
    head = Head(16, between)
    with bn_lint.trace() as report:
        for _ in range(3):
            head(torch.randn(8, 16, 16)).sum().backward()
    (finding,) = report.findings
    assert (finding.code, finding.line) == ("BN203", line_of("# the norm"))
    assert "comes from Linear Head.proj" in finding.message and "L == E == 16" in finding.message
    assert "transpose(1, 2)" in finding.message


@pytest.mark.parametrize("between", [lambda t: t.transpose(1, 2), lambda t: t.transpose(1, 2).contiguous(),
                                     lambda t: t.permute(0, 2, 1)], ids=["transpose", "contiguous", "permute"])
def test_transposed_first_is_clean(between):
    head = Head(16, between)
    with bn_lint.trace() as report:
        head(torch.randn(8, 16, 16)).sum().backward()
        with torch.no_grad():
            head.eval()
            head(torch.randn(8, 16, 16))
    assert codes(report) == []


def test_layer_norm_embedding_rnn_and_transformer_producers():
    class Seq(nn.Module):
        def __init__(self, producer, width=12):
            super().__init__()
            self.producer = producer
            self.norm = nn.BatchNorm1d(width)

        def forward(self, x):
            out = self.producer(x)
            return self.norm(out[0] if isinstance(out, tuple) else out)

    models = {
        "LayerNorm": Seq(nn.LayerNorm(12)),
        "Embedding": Seq(nn.Embedding(50, 12)),
        "LSTM": Seq(nn.LSTM(12, 12, batch_first=True)),
        "TransformerEncoderLayer": Seq(nn.TransformerEncoderLayer(12, 2, 24, batch_first=True)),
    }
    inputs = {"Embedding": torch.randint(0, 50, (8, 12))}
    for kind, model in models.items():
        with bn_lint.trace() as report:
            model(inputs.get(kind, torch.randn(8, 12, 12)))
        assert codes(report) == ["BN203"], kind
        assert f"comes from {kind} Seq.producer" in report.findings[0].message, report.findings[0].message


def test_under_no_grad_the_same_tensor_is_enough_and_a_copy_is_unknown():
    head = Head(16).eval()
    with bn_lint.trace() as report, torch.no_grad():
        head(torch.randn(8, 16, 16))  # direct: the very tensor
    assert codes(report) == ["BN203"]
    relu = Head(16, torch.relu).eval()
    with bn_lint.trace() as report, torch.no_grad():
        relu(torch.randn(8, 16, 16))  # a new tensor and no graph: unknown, so silent
    assert codes(report) == []


def test_conv1d_output_is_the_right_layout():
    model = nn.Sequential(nn.Conv1d(16, 16, 3, padding=1), nn.BatchNorm1d(16))
    with bn_lint.trace() as report:
        model(torch.randn(8, 16, 16)).sum().backward()
    assert codes(report) == []


def test_l_not_e_is_bn201_with_the_transpose_hint():
    head = nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64))
    with bn_lint.trace() as report:
        with pytest.raises(RuntimeError):
            head(torch.randn(8, 16, 32))
    (finding,) = report.findings
    assert finding.code == "BN201"
    assert "dim 2 equals num_features: this looks like (N, L, E) (from Linear Sequential.0): transpose(1, 2) first" \
        in finding.message
    plain = nn.Sequential(nn.Conv1d(4, 5, 1), nn.BatchNorm1d(6))
    with bn_lint.trace() as report:
        with pytest.raises(RuntimeError):
            plain(torch.randn(8, 4, 7))
    assert "dim 2" not in report.findings[0].message
