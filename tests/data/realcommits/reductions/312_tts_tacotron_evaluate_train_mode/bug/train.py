from models.tacotron import Tacotron


def evaluate(model, data_loader):
    model = model.train()
    for data in data_loader:
        out = model.forward(data)
    return out


def main():
    model = Tacotron(4)
    for epoch in range(10):
        evaluate(model, [])
