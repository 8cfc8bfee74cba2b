import trainer


def test(loader):
    t = trainer.Trainer()
    t.test(loader)
