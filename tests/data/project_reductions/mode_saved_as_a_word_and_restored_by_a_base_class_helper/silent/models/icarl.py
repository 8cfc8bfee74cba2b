import torch
import torchvision

from models.base import BaseLearner


class iCaRL(BaseLearner):
    def __init__(self):
        super().__init__(torchvision.models.resnet18(num_classes=10))

    def _train(self, train_loader, test_loader, optimizer, epochs):
        self._network.train()
        for epoch in range(epochs):
            for inputs, targets in train_loader:
                logits = self._network(inputs)
                loss = torch.nn.functional.cross_entropy(logits, targets)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            train_acc = self._compute_accuracy(self._network, train_loader)
            test_acc = self._compute_accuracy(self._network, test_loader)
            print(epoch, train_acc, test_acc)
