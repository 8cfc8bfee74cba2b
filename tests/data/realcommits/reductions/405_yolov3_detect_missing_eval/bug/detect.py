import torch
from net import Net

if __name__ == "__main__":
    model = Net()
    model.load_weights("net.weights")
    for batch in [torch.randn(5, 3, 32, 32)]:
        pred = model(batch)
        print(pred)
