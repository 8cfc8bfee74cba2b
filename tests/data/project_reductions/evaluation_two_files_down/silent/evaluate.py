from forward import forward


def evaluate(model, data_loader):
    out = forward(model=model, data_loader=data_loader)
    return out.cpu().numpy()
