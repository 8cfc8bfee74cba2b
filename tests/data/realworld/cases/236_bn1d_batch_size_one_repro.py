import torch
import torch.nn as nn


def reproduce():
    m = nn.BatchNorm1d(100, affine=False)
    input = torch.randn(1, 100)
    output = m(input)  # ValueError: Expected more than 1 value per channel when training
    return output


def works():
    m = nn.BatchNorm1d(100, affine=False)
    input = torch.randn(2, 100)
    return m(input)


if __name__ == "__main__":
    works()
    reproduce()
