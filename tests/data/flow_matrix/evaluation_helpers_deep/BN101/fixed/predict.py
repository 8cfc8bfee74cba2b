import torch

from model import Net


def _forward(net, images):
    with torch.no_grad():
        return net(images)


def _scores(net, images):
    return _forward(net, images).softmax(1)


def _labels(net, images):
    return _scores(net, images).argmax(1)


def predict(net, images):
    """predict -> _labels -> _scores -> _forward: the evaluation four calls down."""
    return _labels(net, images).tolist()


if __name__ == "__main__":
    net = Net()
    net.load_state_dict(torch.load("net.pt"))
    net.eval()
    print(predict(net, torch.randn(4, 3, 32, 32)))
