from torch import nn


class BaseNode(nn.Module):
    def set_export_mode(self, mode=True):
        self.export = mode
