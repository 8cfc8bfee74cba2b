import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


class OmniglotNet(nn.Module):
    def __init__(self, num_classes, loss_fn, num_in_channels=1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(num_in_channels, 64, 3), nn.BatchNorm2d(64, momentum=1, affine=True), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64, momentum=1, affine=True), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
        )
        self.fc = nn.Linear(64, num_classes)
        self.loss_fn = loss_fn

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.view(x.size(0), 64))


def evaluate(net, loader):
    """ evaluate the net on the data in the loader """
    num_correct = 0
    loss = 0
    for i, (in_, target) in enumerate(loader):
        batch_size = in_.numpy().shape[0]
        input_var = Variable(in_).cuda(non_blocking=True)
        target_var = Variable(target).cuda(non_blocking=True)
        out = net(input_var)
        l = net.loss_fn(out, target_var)
        loss += l.data.cpu().numpy()
        num_correct += np.sum(np.argmax(out.data.cpu().numpy(), axis=1) == target.numpy())
    return float(loss) / len(loader), float(num_correct) / (len(loader) * batch_size)


def meta_test(net, test_loader, train_loader, num_updates, lr=0.4):
    fast_net = OmniglotNet(5, net.loss_fn).cuda()
    fast_net.load_state_dict(net.state_dict())
    opt = torch.optim.SGD(fast_net.parameters(), lr=lr)
    for _ in range(num_updates):
        in_, target = next(iter(train_loader))
        loss = fast_net.loss_fn(fast_net(Variable(in_).cuda()), Variable(target).cuda())
        opt.zero_grad()
        loss.backward()
        opt.step()
    # transductive: BN with momentum=1 always normalises with the current batch
    return evaluate(fast_net, test_loader)
