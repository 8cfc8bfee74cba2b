# PyTorch 0.3.1, CUDA 8.0, Titan Xp
import torch
from torch.autograd import Variable


def main():
    bn = torch.nn.BatchNorm1d(5, eps=0.001, momentum=0.99).cuda()
    x = Variable(torch.rand(2, 5, 1).cuda())
    out = bn(x)
    print(out.size())
    print(bn.running_mean, bn.running_var)


if __name__ == "__main__":
    main()
