from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

net = nn.Sequential()
net.add(nn.Dense(16), nn.BatchNorm(), nn.Dense(2))
net.initialize()


def evaluate_accuracy(data_iter, net):
    acc = 0.0
    for X, y in data_iter:
        acc += (net(X).argmax(axis=1) == y).sum().asscalar()
    return acc
