import torch

from nets import Net


class Runner:
    def __init__(self, num_classes):
        self.net = Net(num_classes)


class CheckpointRunner(Runner):
    def __init__(self, num_classes, checkpoint):
        super().__init__(num_classes)
        self.net.load_state_dict(torch.load(checkpoint))
