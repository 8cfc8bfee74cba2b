"""Mean-teacher semi-supervised baseline in PyTorch Lightning.

(From a discussion thread: "do I need model.eval() in validation_step?" --
answer: no, Lightning switches the module to eval mode around validation,
test and predict loops and back to train mode afterwards.)
"""
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def make_net(width=64, num_classes=10):
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(width, width * 2, 3, padding=1, bias=False),
        nn.BatchNorm2d(width * 2),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(width * 2, num_classes),
    )


class MeanTeacher(pl.LightningModule):
    def __init__(self, lr=0.05, ema_decay=0.99, cons_weight=1.0):
        super().__init__()
        self.save_hyperparameters()
        self.student = make_net()
        self.teacher = make_net()
        self.teacher.load_state_dict(self.student.state_dict())

    def forward(self, x):
        return self.student(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self.student(x)
        with torch.no_grad():
            t_logits = self.teacher(x + 0.1 * torch.randn_like(x))
        cons = F.mse_loss(logits.softmax(1), t_logits.softmax(1))
        loss = F.cross_entropy(logits, y) + self.hparams.cons_weight * cons
        self.log("train_loss", loss)
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx):
        d = self.hparams.ema_decay
        with torch.no_grad():
            for t, s in zip(self.teacher.parameters(), self.student.parameters()):
                t.mul_(d).add_(s, alpha=1 - d)
            for tb, sb in zip(self.teacher.buffers(), self.student.buffers()):
                tb.copy_(sb)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        acc = (self.teacher(x).argmax(1) == y).float().mean()
        self.log("val_acc", acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).argmax(dim=1)

    def configure_optimizers(self):
        return torch.optim.SGD(self.student.parameters(), lr=self.hparams.lr, momentum=0.9, nesterov=True)


if __name__ == "__main__":
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train = datasets.CIFAR10("data", train=True, download=True, transform=tfm)
    test = datasets.CIFAR10("data", train=False, download=True, transform=tfm)
    train_dl = DataLoader(train, batch_size=128, shuffle=True, num_workers=4)
    test_dl = DataLoader(test, batch_size=512, num_workers=4)

    model = MeanTeacher()
    trainer = pl.Trainer(max_epochs=30, accelerator="auto")
    trainer.fit(model, train_dl, test_dl)
    trainer.test(model, test_dl)
    preds = trainer.predict(model, test_dl)
