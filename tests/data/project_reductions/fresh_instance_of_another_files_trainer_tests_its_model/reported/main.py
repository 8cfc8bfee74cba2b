from trainer import Trainer


def test(loader):
    t = Trainer()
    t.test(loader)
