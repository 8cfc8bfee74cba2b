def restore_checkpoint(model):
    model.load('w.pyt')
