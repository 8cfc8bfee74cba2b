class BaseTester(object):
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader
