import torch
import torchvision
from transformers import Trainer


class Evaluator:
    def __init__(self, args, data):
        self.model = torchvision.models.resnet18(num_classes=10)
        self.trainer = Trainer(model=self.model, args=args, eval_dataset=data)

    def evaluate(self, images):
        self.trainer.evaluate()
        with torch.no_grad():
            return self.model(images)
