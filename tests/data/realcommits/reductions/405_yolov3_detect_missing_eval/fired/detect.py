import torch
from net import Net

if __name__ == "__main__":
    model = Net()
    model.load_state_dict(torch.load("net.pt"))
    for batch in [torch.randn(5, 3, 32, 32)]:
        pred = model(batch)
        print(pred)
