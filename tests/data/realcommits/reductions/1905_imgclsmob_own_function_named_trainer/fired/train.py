import torch
from model_stats import measure_model
from build import Net, prepare_model, build_optimizer


def weight_count(net):
    net.train()
    return sum(p.numel() for p in net.parameters())


def validate(net, val_data):
    net.eval()
    with torch.no_grad():
        return [net(x).argmax(1) for x, _ in val_data]


def test(net, val_data, count=False):
    validate(net, val_data)
    if count:
        print(len(val_data))


def main(args, val_data, train_data):
    net = Net(); net.load_state_dict(torch.load(args.resume))
    n = measure_model(net, 224, 224)
    if args.evaluate:
        test(net=net, val_data=val_data)
    else:
        opt = build_optimizer(net, 0.1)
