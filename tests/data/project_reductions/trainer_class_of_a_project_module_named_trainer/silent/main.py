import trainer


def test(loader):
    t = trainer.Trainer()
    t.model.eval()
    t.test(loader)
