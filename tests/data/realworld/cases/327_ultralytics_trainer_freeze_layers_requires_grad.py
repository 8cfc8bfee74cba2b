from copy import deepcopy

import torch
from torch import optim

from ultralytics.cfg import get_cfg
from ultralytics.data import build_dataloader, build_yolo_dataset
from ultralytics.data.utils import check_det_dataset
from ultralytics.models import yolo
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import DEFAULT_CFG, LOGGER, RANK
from ultralytics.utils.torch_utils import ModelEMA, select_device


# ultralytics/engine/trainer.py
class BaseTrainer:
    def __init__(self, cfg=DEFAULT_CFG, overrides=None):
        self.args = get_cfg(cfg, overrides)
        self.device = select_device(self.args.device, self.args.batch)
        self.model = self.args.model
        self.data = check_det_dataset(self.args.data)
        self.epochs = self.args.epochs
        self.start_epoch = 0
        self.batch_size = self.args.batch

    def _setup_train(self, world_size):
        """Builds dataloaders and optimizer on correct rank process."""
        ckpt = self.setup_model()
        self.model = self.model.to(self.device)
        self.set_model_attributes()

        # Freeze layers
        freeze_list = (
            self.args.freeze
            if isinstance(self.args.freeze, list)
            else range(self.args.freeze)
            if isinstance(self.args.freeze, int)
            else []
        )
        always_freeze_names = [".dfl"]  # always freeze these layers
        freeze_layer_names = [f"model.{x}." for x in freeze_list] + always_freeze_names
        for k, v in self.model.named_parameters():
            if any(x in k for x in freeze_layer_names):
                LOGGER.info(f"Freezing layer '{k}'")
                v.requires_grad = False
            elif not v.requires_grad and v.dtype.is_floating_point:
                LOGGER.info(f"setting 'requires_grad=True' for frozen layer '{k}'. ")
                v.requires_grad = True

        # Dataloaders
        batch_size = self.batch_size // max(world_size, 1)
        self.train_loader = self.get_dataloader(self.data["train"], batch_size=batch_size, rank=RANK, mode="train")
        self.test_loader = self.get_dataloader(self.data.get("val"), batch_size=batch_size * 2, rank=-1, mode="val")
        self.validator = self.get_validator()
        self.ema = ModelEMA(self.model)

        # Optimizer
        self.accumulate = max(round(self.args.nbs / self.batch_size), 1)
        self.optimizer = optim.SGD(
            [p for p in self.model.parameters() if p.requires_grad], lr=self.args.lr0, momentum=self.args.momentum
        )
        self.lf = lambda x: max(1 - x / self.epochs, 0) * (1.0 - self.args.lrf) + self.args.lrf
        self.scheduler = optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda=self.lf)

    def _do_train(self, world_size=1):
        """Train completed, evaluate and plot if specified by arguments."""
        self._setup_train(world_size)
        nb = len(self.train_loader)
        epoch = self.start_epoch
        while True:
            self.epoch = epoch
            self.scheduler.step()
            self.model.train()
            self.optimizer.zero_grad()
            for i, batch in enumerate(self.train_loader):
                batch = self.preprocess_batch(batch)
                self.loss, self.loss_items = self.model(batch)
                self.loss.backward()
                if (i + 1) % self.accumulate == 0 or i + 1 == nb:
                    self.optimizer.step()
                    self.optimizer.zero_grad()
                    self.ema.update(self.model)

            self.ema.update_attr(self.model, include=["yaml", "nc", "args", "names", "stride", "class_weights"])
            self.metrics, self.fitness = self.validate()
            epoch += 1
            if epoch >= self.epochs:
                break

    def train(self):
        self._do_train(world_size=1)

    def validate(self):
        metrics = self.validator(self)
        fitness = metrics.pop("fitness", -self.loss.detach().cpu().numpy())
        return metrics, fitness

    def setup_model(self):
        cfg, weights = self.model, None
        if str(self.model).endswith(".pt"):
            weights = torch.load(self.model, map_location="cpu")["model"]
            cfg = weights.yaml
        self.model = self.get_model(cfg=cfg, weights=weights)
        return None


# ultralytics/models/yolo/detect/train.py
class DetectionTrainer(BaseTrainer):
    def get_dataloader(self, dataset_path, batch_size=16, rank=0, mode="train"):
        dataset = build_yolo_dataset(self.args, dataset_path, batch_size, self.data, mode=mode)
        shuffle = mode == "train"
        workers = self.args.workers if mode == "train" else self.args.workers * 2
        return build_dataloader(dataset, batch_size, workers, shuffle, rank)

    def preprocess_batch(self, batch):
        batch["img"] = batch["img"].to(self.device, non_blocking=True).float() / 255
        return batch

    def set_model_attributes(self):
        self.model.nc = self.data["nc"]
        self.model.names = self.data["names"]
        self.model.args = self.args

    def get_model(self, cfg=None, weights=None):
        model = DetectionModel(cfg, nc=self.data["nc"])
        if weights:
            model.load(weights)
        return model

    def get_validator(self):
        return yolo.detect.DetectionValidator(self.test_loader, args=deepcopy(self.args))


if __name__ == "__main__":
    args = dict(model="yolov8n.pt", data="coco8.yaml", epochs=100, freeze=10)
    trainer = DetectionTrainer(overrides=args)
    trainer.train()
