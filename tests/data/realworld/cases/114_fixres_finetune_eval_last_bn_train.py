import torch
import torch.nn as nn
import torchvision.models as models


class TrainerState:
    def __init__(self, model, optimizer, epoch=0):
        self.model = model
        self.optimizer = optimizer
        self.epoch = epoch


class Trainer:
    def __init__(self, train_cfg):
        self._train_cfg = train_cfg
        model = models.resnet50(pretrained=False)
        model.load_state_dict(torch.load(train_cfg.weights))
        for name, child in model.named_children():
            for name2, params in child.named_parameters():
                params.requires_grad = name in ["fc"] or "layer4.2.bn3" in name + "." + name2
        model = torch.nn.DataParallel(model).cuda()
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3, momentum=0.9)
        self._state = TrainerState(model=model, optimizer=optimizer)

    def _train(self):
        criterion = nn.CrossEntropyLoss()
        for epoch in range(self._state.epoch, self._train_cfg.epochs):
            # the backbone keeps its BN statistics; only the last BN adapts to the new resolution
            self._state.model.eval()
            self._state.model.module.layer4[2].bn3.train()
            for inputs, labels in self._train_cfg.train_loader:
                outputs = self._state.model(inputs.cuda(non_blocking=True))
                loss = criterion(outputs, labels.cuda(non_blocking=True))
                self._state.optimizer.zero_grad()
                loss.backward()
                self._state.optimizer.step()
            self._state.epoch = epoch + 1
            self._eval()

    def _eval(self):
        self._state.model.eval()
        self._state.model.module.layer4[2].bn3.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in self._train_cfg.test_loader:
                outputs = self._state.model(images.cuda(non_blocking=True))
                correct += (outputs.argmax(1).cpu() == labels).sum().item()
        return correct
