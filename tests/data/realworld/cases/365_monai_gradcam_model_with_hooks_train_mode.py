import warnings
from collections import OrderedDict
from contextlib import contextmanager
from typing import Callable, Dict, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from monai.transforms import ScaleIntensity
from monai.utils import ensure_tuple


@contextmanager
def eval_mode(*nets: nn.Module):
    # Get original state of network(s)
    training = [n for n in nets if n.training]
    try:
        # set to eval mode
        with torch.no_grad():
            yield [n.eval() for n in nets]
    finally:
        # Return required networks to training
        for n in training:
            n.train()


@contextmanager
def train_mode(*nets: nn.Module):
    # Get original state of network(s)
    eval_list = [n for n in nets if not n.training]
    try:
        # set to train mode
        with torch.set_grad_enabled(True):
            yield [n.train() for n in nets]
    finally:
        # Return required networks to eval_list
        for n in eval_list:
            n.eval()


class _DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth_rate: int, bn_size: int) -> None:
        super(_DenseLayer, self).__init__()
        out_channels = bn_size * growth_rate
        self.layers = nn.Sequential()
        self.layers.add_module("norm1", nn.BatchNorm2d(in_channels))
        self.layers.add_module("relu1", nn.ReLU(inplace=True))
        self.layers.add_module("conv1", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False))
        self.layers.add_module("norm2", nn.BatchNorm2d(out_channels))
        self.layers.add_module("relu2", nn.ReLU(inplace=True))
        self.layers.add_module("conv2", nn.Conv2d(out_channels, growth_rate, kernel_size=3, padding=1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new_features = self.layers(x)
        return torch.cat([x, new_features], 1)


class DenseNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, init_features: int = 64, growth_rate: int = 32,
                 block_config: Sequence[int] = (6, 12, 24, 16), bn_size: int = 4) -> None:
        super(DenseNet, self).__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(in_channels, init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        in_channels = init_features
        for i, num_layers in enumerate(block_config):
            block = nn.Sequential()
            for j in range(num_layers):
                block.add_module("denselayer%d" % (j + 1), _DenseLayer(in_channels + j * growth_rate, growth_rate, bn_size))
            self.features.add_module(f"denseblock{i + 1}", block)
            in_channels += num_layers * growth_rate
            if i == len(block_config) - 1:
                self.features.add_module("norm5", nn.BatchNorm2d(in_channels))
            else:
                _out_channels = in_channels // 2
                trans = nn.Sequential(OrderedDict([
                    ("norm", nn.BatchNorm2d(in_channels)),
                    ("relu", nn.ReLU(inplace=True)),
                    ("conv", nn.Conv2d(in_channels, _out_channels, kernel_size=1, bias=False)),
                    ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
                ]))
                self.features.add_module(f"transition{i + 1}", trans)
                in_channels = _out_channels
        self.class_layers = nn.Sequential(OrderedDict([
            ("relu", nn.ReLU(inplace=True)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten(1)),
            ("out", nn.Linear(in_channels, out_channels)),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.class_layers(x)
        return x


def densenet121(**kwargs) -> DenseNet:
    return DenseNet(init_features=64, growth_rate=32, block_config=(6, 12, 24, 16), **kwargs)


def default_upsampler(spatial_size, align_corners=False) -> Callable[[torch.Tensor], torch.Tensor]:
    def up(x):
        linear_mode = ["linear", "bilinear", "trilinear"]
        interp_mode = linear_mode[len(spatial_size) - 1]
        return F.interpolate(x, size=spatial_size, mode=interp_mode, align_corners=align_corners)

    return up


def default_normalizer(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    scaler = ScaleIntensity(minv=1.0, maxv=0.0)
    x = [scaler(x) for x in x]
    return np.stack(x, axis=0)


class ModelWithHooks:
    def __init__(
        self,
        nn_module,
        target_layer_names: Union[str, Sequence[str]],
        register_forward: bool = False,
        register_backward: bool = False,
    ):
        self.model = nn_module
        self.target_layers = ensure_tuple(target_layer_names)

        self.gradients: Dict[str, torch.Tensor] = {}
        self.activations: Dict[str, torch.Tensor] = {}
        self.score = None
        self.class_idx = None
        self.register_backward = register_backward
        self.register_forward = register_forward

        _registered = []
        for name, mod in nn_module.named_modules():
            if name not in self.target_layers:
                continue
            _registered.append(name)
            if self.register_backward:
                mod.register_backward_hook(self.backward_hook(name))
            if self.register_forward:
                mod.register_forward_hook(self.forward_hook(name))
        if len(_registered) != len(self.target_layers):
            warnings.warn(f"Not all target_layers exist in the network module: targets: {self.target_layers}.")

    def backward_hook(self, name):
        def _hook(_module, _grad_input, grad_output):
            self.gradients[name] = grad_output[0]

        return _hook

    def forward_hook(self, name):
        def _hook(_module, _input, output):
            self.activations[name] = output

        return _hook

    def class_score(self, logits, class_idx=None):
        if class_idx is not None:
            return logits[:, class_idx].squeeze(), class_idx
        class_idx = logits.max(1)[-1]
        return logits[:, class_idx].squeeze(), class_idx

    def __call__(self, x, class_idx=None, retain_graph=False):
        # Use train_mode if grad is required, else eval_mode
        mode = train_mode if self.register_backward else eval_mode
        with mode(self.model):
            logits = self.model(x)
            acti, grad = None, None
            if self.register_forward:
                acti = tuple(self.activations[layer] for layer in self.target_layers)
            if self.register_backward:
                score, class_idx = self.class_score(logits, class_idx)
                self.model.zero_grad()
                self.score, self.class_idx = score, class_idx
                score.sum().backward(retain_graph=retain_graph)
                grad = tuple(self.gradients[layer] for layer in self.target_layers)
        return logits, acti, grad

    def get_wrapped_net(self):
        return self.model


class CAMBase:
    def __init__(
        self,
        nn_module: nn.Module,
        target_layers: str,
        upsampler: Callable = default_upsampler,
        postprocessing: Callable = default_normalizer,
        register_backward: bool = True,
    ) -> None:
        # Convert to model with hooks if necessary
        if not isinstance(nn_module, ModelWithHooks):
            self.nn_module = ModelWithHooks(
                nn_module, target_layers, register_forward=True, register_backward=register_backward
            )
        else:
            self.nn_module = nn_module

        self.upsampler = upsampler
        self.postprocessing = postprocessing

    def compute_map(self, x, class_idx=None, layer_idx=-1):
        raise NotImplementedError()

    def _upsample_and_post_process(self, acti_map, x):
        if self.upsampler:
            img_spatial = x.shape[2:]
            acti_map = self.upsampler(img_spatial)(acti_map)
        if self.postprocessing:
            acti_map = self.postprocessing(acti_map)
        return acti_map


class GradCAM(CAMBase):
    def compute_map(self, x, class_idx=None, retain_graph=False, layer_idx=-1):
        _, acti, grad = self.nn_module(x, class_idx=class_idx, retain_graph=retain_graph)
        acti, grad = acti[layer_idx], grad[layer_idx]
        b, c, *spatial = grad.shape
        weights = grad.view(b, c, -1).mean(2).view(b, c, *[1] * len(spatial))
        acti_map = (weights * acti).sum(1, keepdim=True)
        return F.relu(acti_map)

    def __call__(self, x, class_idx=None, layer_idx=-1, retain_graph=False):
        acti_map = self.compute_map(x, class_idx=class_idx, retain_graph=retain_graph, layer_idx=layer_idx)
        return self._upsample_and_post_process(acti_map, x)


if __name__ == "__main__":
    model_2d = densenet121(in_channels=1, out_channels=3)
    cam = GradCAM(nn_module=model_2d, target_layers="class_layers.relu")
    image = torch.rand((1, 1, 48, 64))
    result = cam(x=image, layer_idx=-1)
    print(result.shape, cam.nn_module.class_idx)
