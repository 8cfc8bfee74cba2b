class BaseTrainer:
    def __init__(self, net, opt):
        self.net = net
        self.opt = opt


class Trainer(BaseTrainer):
    def __init__(self, net, opt, quantile):
        super().__init__(net, opt)
        self.quantile = quantile
