from net import Net
from trainer import Trainer


def main(x, y):
    model = Net()
    trainer = Trainer(model)
    for _ in range(2):
        trainer.train_step(x, y)
        model.predict(x)
        model.train()
