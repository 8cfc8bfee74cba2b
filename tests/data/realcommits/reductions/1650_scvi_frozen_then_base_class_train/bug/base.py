import pytorch_lightning as pl


class TrainingMixin:
    def train(self, max_epochs=None, **kwargs):
        trainer = pl.Trainer(max_epochs=max_epochs or 10)
        trainer.fit(self.module, self.loader)
