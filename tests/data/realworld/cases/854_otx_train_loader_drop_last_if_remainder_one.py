# OTX (geti) classification task after the fix "Training error when batch size
# is 1": the train loader drops the last batch exactly when it would hold a
# single sample, so BatchNorm never sees a batch of one in training mode.
import torch
import torch.nn as nn
import torchvision
from torch.utils.data import DataLoader


def build_dataloader(dataset, samples_per_gpu, workers_per_gpu, shuffle=True,
                     drop_last=False, pin_memory=True, **kwargs):
    return DataLoader(
        dataset,
        batch_size=samples_per_gpu,
        num_workers=workers_per_gpu,
        shuffle=shuffle,
        drop_last=drop_last,
        pin_memory=pin_memory,
        **kwargs,
    )


class ClsTrainTask:
    def __init__(self, cfg):
        self._cfg = cfg
        self._model = torchvision.models.efficientnet_b0(num_classes=cfg["num_classes"])

    def _get_train_loader(self, train_dataset):
        samples_per_gpu = self._cfg["data"]["samples_per_gpu"]
        workers_per_gpu = self._cfg["data"]["workers_per_gpu"]
        # when the last batch size is 1, training batch normalization is a nonsense:
        # drop it instead
        drop_last = False
        if len(train_dataset) % samples_per_gpu == 1:
            drop_last = True
        return build_dataloader(
            train_dataset,
            samples_per_gpu,
            workers_per_gpu,
            shuffle=True,
            drop_last=drop_last,
        )

    def train(self, train_dataset):
        loader = self._get_train_loader(train_dataset)
        model = self._model
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=self._cfg["lr"], momentum=0.9)
        criterion = nn.CrossEntropyLoss()
        for _ in range(self._cfg["max_epochs"]):
            for images, labels in loader:
                loss = criterion(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return model


if __name__ == "__main__":
    cfg = {
        "num_classes": 3,
        "lr": 0.01,
        "max_epochs": 2,
        "data": {"samples_per_gpu": 8, "workers_per_gpu": 2},
    }
    images = torch.randn(17, 3, 224, 224)
    labels = torch.randint(0, 3, (17,))
    dataset = torch.utils.data.TensorDataset(images, labels)
    ClsTrainTask(cfg).train(dataset)
