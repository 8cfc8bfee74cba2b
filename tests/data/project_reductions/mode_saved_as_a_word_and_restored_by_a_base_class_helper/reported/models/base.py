import numpy as np
import torch


class BaseLearner:
    def __init__(self, network):
        self._network = network

    def _compute_accuracy(self, model, loader):
        curr_mode = "train" if model.training else "eval"
        model.eval()
        correct, total = 0, 0
        for inputs, targets in loader:
            with torch.no_grad():
                outputs = model(inputs)
            predicts = torch.max(outputs, dim=1)[1]
            correct += (predicts == targets).sum()
            total += len(targets)
        if curr_mode == "eval":
            model.eval()
        return np.around(correct.item() * 100 / total, decimals=2)
