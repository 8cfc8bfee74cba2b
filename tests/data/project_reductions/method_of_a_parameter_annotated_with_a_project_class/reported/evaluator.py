import torch

from metrics import Metric
from models import load


class Evaluator:
    def __init__(self, loader, path):
        self.loader = loader
        self.model = load(path)

    def evaluate(self, metric: Metric):
        metric.register(self)
        for images, labels in self.loader:
            with torch.no_grad():
                metric.update(self.model(images), labels)
        return metric.correct
