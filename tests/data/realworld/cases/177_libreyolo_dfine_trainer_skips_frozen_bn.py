import torch
import torch.nn as nn


class BaseTrainer:
    def __init__(self, model, config, train_loader):
        self.model = model
        self.config = config
        self.train_loader = train_loader
        self.optimizer = None
        self._frozen_bn = []

    def _apply_freeze_config(self):
        """Freeze the first `config.freeze` child modules: no grads, BatchNorm kept in eval."""
        for i, child in enumerate(self.model.children()):
            if i >= self.config["freeze"]:
                break
            for p in child.parameters():
                p.requires_grad = False
            for m in child.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
                    self._frozen_bn.append(m)

    def _enforce_frozen_bn_eval(self):
        for m in self._frozen_bn:
            m.eval()

    def setup(self):
        self._apply_freeze_config()
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=self.config["lr"])

    def _train_epoch(self, epoch):
        self.model.train()
        self._enforce_frozen_bn_eval()
        for images, targets in self.train_loader:
            loss = self.model(images, targets)["loss"]
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def train(self):
        self.setup()
        for epoch in range(self.config["epochs"]):
            self._train_epoch(epoch)


class DFINETrainer(BaseTrainer):
    def _train_epoch(self, epoch):
        self.model.train()
        for images, targets in self.train_loader:
            loss_dict = self.model(images, targets)
            loss = sum(loss_dict.values())
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 0.1)
            self.optimizer.step()
