import torch
import torch.nn as nn


class Conformer(nn.Module):
    def __init__(self, num_features=80):
        super().__init__()
        self.feat_batchnorm = nn.BatchNorm1d(num_features)
        self.out = nn.Linear(num_features, 10)

    def forward(self, x):
        x = self.feat_batchnorm(x.permute(0, 2, 1)).permute(0, 2, 1)
        return self.out(x)


def main():
    model = Conformer(num_features=80)
    model.load_state_dict(torch.load("avg.pt"))
    model.to("cpu")
    model = torch.jit.script(model)
    model.save("cpu_jit.pt")


if __name__ == "__main__":
    main()
