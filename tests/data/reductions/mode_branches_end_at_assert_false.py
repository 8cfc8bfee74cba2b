import torch
import torchvision


def run(model, loader, optimizer, finetune, freeze):
    for x, y in loader:
        if finetune:
            model.train()
        elif freeze:
            model.eval()
        else:
            assert False, "pick a mode"
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


net = torchvision.models.resnet18()
run(net, [], torch.optim.SGD(net.parameters(), lr=0.1), True, False)
