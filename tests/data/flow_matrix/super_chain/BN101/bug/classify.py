import torch

from runners import CheckpointRunner


class Classifier(CheckpointRunner):
    def __init__(self, checkpoint):
        super().__init__(10, checkpoint)

    def classify(self, images):
        with torch.no_grad():
            return self.net(images).argmax(1)
