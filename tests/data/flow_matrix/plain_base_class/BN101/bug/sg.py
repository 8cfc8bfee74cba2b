import torch
from nets import D


class BaseModel:
    pass


class Skip(BaseModel):
    def __init__(self, data):
        self.data = data
        self.netg = D()
        self.netd = D()

    def test(self):
        self.netg.eval()
        with torch.no_grad():
            for data in self.data.valid:
                fake = self.netg(data)
                feat = self.netd(fake)
