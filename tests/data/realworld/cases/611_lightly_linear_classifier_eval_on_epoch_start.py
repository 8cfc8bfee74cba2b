from typing import Tuple

import torch
import torchvision
from pytorch_lightning import LightningModule, Trainer
from torch import Tensor, nn
from torch.nn import CrossEntropyLoss, Linear, Module
from torch.optim import SGD


class LinearClassifier(LightningModule):
    def __init__(
        self,
        model: Module,
        batch_size_per_device: int,
        feature_dim: int = 2048,
        num_classes: int = 1000,
        topk: Tuple[int, ...] = (1, 5),
        freeze_model: bool = False,
    ) -> None:
        super().__init__()
        self.model = model
        self.batch_size_per_device = batch_size_per_device
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.topk = topk
        self.freeze_model = freeze_model

        self.classification_head = Linear(feature_dim, num_classes)
        self.criterion = CrossEntropyLoss()

    def forward(self, images: Tensor) -> Tensor:
        if self.freeze_model:
            with torch.no_grad():
                features = self.model.forward(images).flatten(start_dim=1)
        else:
            features = self.model.forward(images).flatten(start_dim=1)
        return self.classification_head(features)

    def shared_step(self, batch, batch_idx) -> Tensor:
        images, targets = batch[0], batch[1]
        predictions = self.forward(images)
        return self.criterion(predictions, targets)

    def training_step(self, batch, batch_idx) -> Tensor:
        loss = self.shared_step(batch=batch, batch_idx=batch_idx)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch[1]))
        return loss

    def validation_step(self, batch, batch_idx) -> Tensor:
        loss = self.shared_step(batch=batch, batch_idx=batch_idx)
        self.log("val_loss", loss, prog_bar=True, batch_size=len(batch[1]))
        return loss

    def configure_optimizers(self):
        parameters = list(self.classification_head.parameters())
        if not self.freeze_model:
            parameters += self.model.parameters()
        return SGD(parameters, lr=0.1 * self.batch_size_per_device / 256, momentum=0.9)

    def on_train_epoch_start(self) -> None:
        if self.freeze_model:
            # Set model to eval mode to disable norm layer updates.
            self.model.eval()


class SimCLR(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        self.backbone.fc = nn.Identity()  # Ignore classification layer

    def forward(self, x):
        return self.backbone(x).flatten(start_dim=1)


def linear_eval(model, train_dataloader, val_dataloader, batch_size_per_device, num_classes):
    linear_classifier = LinearClassifier(
        model,
        batch_size_per_device=batch_size_per_device,
        feature_dim=512,
        num_classes=num_classes,
        freeze_model=True,
    )
    trainer = Trainer(max_epochs=90)
    trainer.fit(linear_classifier, train_dataloader, val_dataloader)


if __name__ == "__main__":
    linear_eval(SimCLR(), None, None, batch_size_per_device=256, num_classes=10)
