from trainer import Trainer


def test(loader):
    t = Trainer()
    t.model.eval()
    t.test(loader)
