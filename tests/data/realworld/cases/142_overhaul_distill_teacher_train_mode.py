import torch
import torch.nn as nn
import torch.optim as optim

import distiller
import load_settings

trainloader, testloader = load_settings.get_cifar100_loaders()
t_net, s_net, args = load_settings.load_paper_settings()

d_net = distiller.Distiller(t_net, s_net)
d_net = torch.nn.DataParallel(d_net).cuda()
t_net = torch.nn.DataParallel(t_net).cuda()
s_net = torch.nn.DataParallel(s_net).cuda()

criterion_CE = nn.CrossEntropyLoss()
optimizer = optim.SGD([{"params": s_net.parameters()}, {"params": d_net.module.Connectors.parameters()}],
                      lr=0.1, nesterov=True, momentum=0.9, weight_decay=5e-4)


def train_with_distill(d_net, epoch):
    d_net.train()
    d_net.module.s_net.train()
    # BatchNorm of the teacher in training mode works better for distillation (paper, Table 8);
    # its features are detached, so the teacher receives no gradient
    d_net.module.t_net.train()
    for batch_idx, (inputs, targets) in enumerate(trainloader):
        inputs, targets = inputs.cuda(), targets.cuda()
        batch_size = inputs.shape[0]
        outputs, loss_distill = d_net(inputs)
        loss = criterion_CE(outputs, targets) + loss_distill.sum() / batch_size / 1000
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test(net):
    net.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in testloader:
            outputs = net(inputs.cuda())
            correct += outputs.max(1)[1].eq(targets.cuda()).sum().item()
    return correct / len(testloader.dataset)


for epoch in range(200):
    train_with_distill(d_net, epoch)
    print(epoch, test(s_net))
