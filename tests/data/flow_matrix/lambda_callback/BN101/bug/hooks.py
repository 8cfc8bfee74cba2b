class Hooks:
    def __init__(self):
        self.after_epoch = []

    def add(self, fn):
        self.after_epoch.append(fn)

    def fire(self, epoch):
        for fn in self.after_epoch:
            fn(epoch)
