import torch


class Trainer:
    def __init__(self, linear_classifier):
        self.linear_classifier = linear_classifier

    def eval_classify(self, x):
        return torch.max(self.linear_classifier(x), 1)[1]
