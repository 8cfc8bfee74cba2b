import torch
import vicorobot.utility as vu


def load_net(net_type, pth_path):
    cls = vu.get_model_class(net_type=net_type)
    model = cls(out_dim=8)
    model.load_state_dict(torch.load(pth_path))
    model.eval()
    return model


def mk_prediction(net_type, pth_path, loader):
    net = load_net(net_type, pth_path)
    preds = []
    with torch.inference_mode():
        for X in loader:
            preds.append(net(X).argmax(1))
    return preds
