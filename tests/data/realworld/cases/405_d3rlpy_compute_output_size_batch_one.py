from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn


# d3rlpy/itertools.py
def last_flag(iterator):
    items = list(iterator)
    for i, item in enumerate(items):
        yield i == len(items) - 1, item


# d3rlpy/models/torch/encoders.py
class VectorEncoder(nn.Module):
    def __init__(
        self,
        observation_shape: Sequence[int],
        hidden_units: Optional[Sequence[int]] = None,
        use_batch_norm: bool = False,
        dropout_rate: Optional[float] = None,
        activation: nn.Module = nn.ReLU(),
        exclude_last_activation: bool = False,
    ):
        super().__init__()

        if hidden_units is None:
            hidden_units = [256, 256]

        layers = []
        in_units = [observation_shape[0]] + list(hidden_units[:-1])
        for is_last, (in_unit, out_unit) in last_flag(
            zip(in_units, hidden_units)
        ):
            layers.append(nn.Linear(in_unit, out_unit))
            if not is_last or not exclude_last_activation:
                layers.append(activation)
            if use_batch_norm:
                layers.append(nn.BatchNorm1d(out_unit))
            if dropout_rate is not None:
                layers.append(nn.Dropout(dropout_rate))
        self._layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert isinstance(x, torch.Tensor)
        return self._layers(x)


class VectorEncoderWithAction(nn.Module):
    def __init__(
        self,
        observation_shape: Sequence[int],
        action_size: int,
        hidden_units: Optional[Sequence[int]] = None,
        use_batch_norm: bool = False,
        dropout_rate: Optional[float] = None,
        discrete_action: bool = False,
        activation: nn.Module = nn.ReLU(),
        exclude_last_activation: bool = False,
    ):
        super().__init__()
        self._action_size = action_size
        self._discrete_action = discrete_action

        if hidden_units is None:
            hidden_units = [256, 256]

        layers = []
        in_units = [observation_shape[0] + action_size] + list(
            hidden_units[:-1]
        )
        for is_last, (in_unit, out_unit) in last_flag(
            zip(in_units, hidden_units)
        ):
            layers.append(nn.Linear(in_unit, out_unit))
            if not is_last or not exclude_last_activation:
                layers.append(activation)
            if use_batch_norm:
                layers.append(nn.BatchNorm1d(out_unit))
            if dropout_rate is not None:
                layers.append(nn.Dropout(dropout_rate))
        self._layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        assert isinstance(x, torch.Tensor)
        if self._discrete_action:
            action = F.one_hot(
                action.view(-1).long(), num_classes=self._action_size
            ).float()
        x = torch.cat([x, action], dim=1)
        return self._layers(x)


def compute_output_size(input_shapes, encoder: nn.Module) -> int:
    device = next(encoder.parameters()).device
    with torch.no_grad():
        inputs = []
        for shape in input_shapes:
            if isinstance(shape[0], (list, tuple)):
                inputs.append([torch.rand(1, *s, device=device) for s in shape])
            else:
                inputs.append(torch.rand(1, *shape, device=device))
        y = encoder(*inputs)
    return int(y.shape[1])


# d3rlpy/models/encoders.py
@dataclass()
class VectorEncoderFactory:
    hidden_units: List[int] = field(default_factory=lambda: [256, 256])
    activation: str = "relu"
    use_batch_norm: bool = False
    dropout_rate: Optional[float] = None
    exclude_last_activation: bool = False

    def create(self, observation_shape) -> VectorEncoder:
        assert len(observation_shape) == 1
        return VectorEncoder(
            observation_shape=observation_shape,
            hidden_units=self.hidden_units,
            use_batch_norm=self.use_batch_norm,
            dropout_rate=self.dropout_rate,
            activation=nn.ReLU(),
            exclude_last_activation=self.exclude_last_activation,
        )

    def create_with_action(self, observation_shape, action_size: int, discrete_action: bool = False):
        assert len(observation_shape) == 1
        return VectorEncoderWithAction(
            observation_shape=observation_shape,
            action_size=action_size,
            hidden_units=self.hidden_units,
            use_batch_norm=self.use_batch_norm,
            dropout_rate=self.dropout_rate,
            discrete_action=discrete_action,
            activation=nn.ReLU(),
            exclude_last_activation=self.exclude_last_activation,
        )


# d3rlpy/models/torch/q_functions/mean_q_function.py, d3rlpy/models/torch/policies.py
class ContinuousMeanQFunction(nn.Module):
    def __init__(self, encoder, hidden_size: int):
        super().__init__()
        self._encoder = encoder
        self._fc = nn.Linear(hidden_size, 1)

    def forward(self, x, action):
        return self._fc(self._encoder(x, action))


class NormalPolicy(nn.Module):
    def __init__(self, encoder, hidden_size: int, action_size: int):
        super().__init__()
        self._encoder = encoder
        self._mu = nn.Linear(hidden_size, action_size)
        self._logstd = nn.Linear(hidden_size, action_size)

    def forward(self, x):
        h = self._encoder(x)
        return self._mu(h), self._logstd(h)


# d3rlpy/models/builders.py
def create_continuous_q_function(observation_shape, action_size: int, encoder_factory, device: str,
                                 n_ensembles: int = 1):
    q_funcs = []
    for _ in range(n_ensembles):
        encoder = encoder_factory.create_with_action(observation_shape, action_size)
        hidden_size = compute_output_size([observation_shape, (action_size,)], encoder)
        q_funcs.append(ContinuousMeanQFunction(encoder, hidden_size))
    q_func_modules = nn.ModuleList(q_funcs)
    q_func_modules.to(device)
    return q_func_modules


def create_normal_policy(observation_shape, action_size: int, encoder_factory, device: str):
    encoder = encoder_factory.create(observation_shape)
    hidden_size = compute_output_size([observation_shape], encoder)
    policy = NormalPolicy(encoder=encoder, hidden_size=hidden_size, action_size=action_size)
    policy.to(device)
    return policy


# issue #370 reproduction (distributed_offline_training.py, CQL with a custom encoder factory)
if __name__ == "__main__":
    my_encoder_factory = VectorEncoderFactory(hidden_units=[128, 64, 32], use_batch_norm=True)
    observation_shape = (11,)
    action_size = 3
    policy = create_normal_policy(observation_shape, action_size, my_encoder_factory, "cpu:0")
    q_funcs = create_continuous_q_function(observation_shape, action_size, my_encoder_factory, "cpu:0",
                                           n_ensembles=2)
