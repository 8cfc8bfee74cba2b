import warnings
from typing import List, Optional, Sequence

import numpy as np
import torch

from bioimageio.spec.utils import download


class ModelAdapter:
    def forward(self, *batch):
        raise NotImplementedError


class TorchscriptModelAdapter(ModelAdapter):
    def __init__(self, *, model_description, devices: Optional[Sequence[str]] = None):
        super().__init__()
        if model_description.weights.torchscript is None:
            raise ValueError(f"No torchscript weights found for model {model_description.name}")
        weight_path = download(model_description.weights.torchscript.source).path
        if devices is None:
            self.devices = ["cuda" if torch.cuda.is_available() else "cpu"]
        else:
            self.devices = [torch.device(d) for d in devices]
        if len(self.devices) > 1:
            warnings.warn("Multiple devices for single torchscript model not yet implemented")
        self._model = torch.jit.load(weight_path)
        self._model.to(self.devices[0])

    def forward(self, *batch) -> List[Optional[np.ndarray]]:
        with torch.no_grad():
            torch_tensor = [None if b is None else torch.from_numpy(b).to(self.devices[0]) for b in batch]
            _result = self._model.forward(*torch_tensor)
            result = list(_result) if isinstance(_result, (tuple, list)) else [_result]
            return [None if r is None else r.cpu().numpy() for r in result]

    def unload(self) -> None:
        del self._model
        torch.cuda.empty_cache()


def predict(model_description, image: np.ndarray):
    adapter = TorchscriptModelAdapter(model_description=model_description)
    return adapter.forward(image[None])[0]
