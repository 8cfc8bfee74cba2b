import torch
from tqdm import tqdm


def fix_bn(module):
    """Fix the batch normalization layers."""
    for m in module.modules():
        classname = m.__class__.__name__
        if classname.find("BatchNorm") != -1:
            m.eval()
    return module


class BaseTrainer:
    def __init__(self, model, trainer_cfg, train_loader, val_loader, optimizer):
        self.model = model
        self.trainer_cfg = trainer_cfg
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.optimizer = optimizer
        self.current_epoch = 0
        self.build_model()

    def build_model(self, *args, **kwargs):
        # apply fix batch norm
        if self.trainer_cfg.get("fix_bn", False):
            print("fix batch norm")
            self.model = fix_bn(self.model)

    def train_epoch(self):
        self.current_epoch += 1
        self.model.train()
        for i, data in enumerate(tqdm(self.train_loader, desc=f"Train epoch {self.current_epoch}")):
            self.optimizer.zero_grad()
            model_outputs = self.model(data)
            loss = model_outputs["training_disp"]["disp"]["loss"]
            loss.backward()
            self.optimizer.step()

    @torch.no_grad()
    def val_epoch(self):
        self.model.eval()
        epe = 0.0
        for data in self.val_loader:
            disp_est = self.model(data)["inference_disp"]["disp_est"]
            epe += (disp_est - data["disp"]).abs().mean().item()
        return epe / len(self.val_loader)

    def train_model(self):
        total_epoch = self.trainer_cfg.get("total_epoch", 10)
        while self.current_epoch < total_epoch:
            self.train_epoch()
            if self.current_epoch % self.trainer_cfg["val_every"] == 0:
                self.val_epoch()
