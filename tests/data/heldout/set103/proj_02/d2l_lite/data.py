import torchvision
from torch.utils import data
from torchvision import transforms

TRAIN_SIZE = 60000     # Fashion-MNIST
TEST_SIZE = 10000


def load_data_fashion_mnist(batch_size, resize=None, root="../data", num_workers=4):
    """Return (train_iter, test_iter). The training iterator drops the last
    incomplete batch so every BatchNorm step sees a full batch."""
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(root=root, train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(root=root, train=False, transform=trans, download=True)
    train_iter = data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=num_workers, drop_last=True)
    test_iter = data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=num_workers)
    return train_iter, test_iter
