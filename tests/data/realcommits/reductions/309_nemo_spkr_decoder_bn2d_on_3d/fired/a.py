from torch import nn


class SpkrDecoder(nn.Module):
    @property
    def input_types(self):
        return {"encoder_output": ("B", "D", "T")}

    def __init__(self, feat_in, num_classes):
        super().__init__()
        self.norm = nn.BatchNorm2d(feat_in)
        self.final = nn.Linear(feat_in, num_classes)

    def forward(self, encoder_output):
        encoder_output = self.norm(encoder_output.view(-1, 4, 10))
        return self.final(encoder_output.mean(dim=-1))
