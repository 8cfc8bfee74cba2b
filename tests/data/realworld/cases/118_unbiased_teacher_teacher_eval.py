from collections import OrderedDict

import torch
import torchvision


class UBTeacherTrainer:
    def __init__(self, cfg, train_loader):
        model = self.build_model(cfg)
        self.model = model
        # create an teacher model
        model_teacher = self.build_model(cfg)
        self.model_teacher = model_teacher
        self.model_teacher.eval()
        self.optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
        self._data_loader_iter = iter(train_loader)
        self.cfg = cfg

    def build_model(self, cfg):
        return torchvision.models.detection.fasterrcnn_resnet50_fpn(num_classes=cfg["num_classes"])

    @torch.no_grad()
    def _update_teacher_model(self, keep_rate=0.9996):
        student_model_dict = self.model.state_dict()
        new_teacher_dict = OrderedDict()
        for key, value in self.model_teacher.state_dict().items():
            new_teacher_dict[key] = student_model_dict[key] * (1 - keep_rate) + value * keep_rate
        self.model_teacher.load_state_dict(new_teacher_dict)

    def run_step(self):
        self.model.train()
        label_data, unlabel_data_q, unlabel_data_k = next(self._data_loader_iter)
        # generate the pseudo-label using teacher model
        with torch.no_grad():
            proposals = self.model_teacher(unlabel_data_k)
        pseudo = [{"boxes": p["boxes"][p["scores"] > self.cfg["threshold"]],
                   "labels": p["labels"][p["scores"] > self.cfg["threshold"]]} for p in proposals]
        images, targets = label_data
        losses = self.model(images, targets)
        losses_unsup = self.model(unlabel_data_q, pseudo)
        loss = sum(losses.values()) + self.cfg["unsup_loss_weight"] * sum(losses_unsup.values())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._update_teacher_model(keep_rate=self.cfg["ema_keep_rate"])

    def train(self, max_iter):
        for it in range(max_iter):
            self.run_step()
