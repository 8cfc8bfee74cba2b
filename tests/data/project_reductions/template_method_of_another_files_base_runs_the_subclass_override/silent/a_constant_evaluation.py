import torch
from base import Evaluation


class ConstantEvaluation(Evaluation):
    def _calculate_distances(self):
        return torch.zeros(len(self._pairs))
