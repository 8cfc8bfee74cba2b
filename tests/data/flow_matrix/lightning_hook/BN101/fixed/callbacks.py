import pytorch_lightning as pl
import torch


class SamplePredictions(pl.Callback):
    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def on_train_epoch_end(self, trainer, pl_module):
        pl_module.eval()
        with torch.no_grad():
            preds = pl_module(self.images.to(pl_module.device)).argmax(1)
        acc = (preds.cpu() == self.labels).float().mean()
        pl_module.train()
        pl_module.log("sample_acc", acc)
