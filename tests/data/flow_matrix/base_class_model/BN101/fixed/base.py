from models import Net


class BaseRunner:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = Net(num_classes=cfg["num_classes"])
        self.device = cfg.get("device", "cpu")
