import torch

from defense import defend

if __name__ == "__main__":
    clean_loader = torch.load("clean_loader.pt")
    test_loader = torch.load("test_loader.pt")
    result = defend(clean_loader)
    result["model"].eval()
    correct = 0
    for x, y in test_loader:
        outputs = result["model"](x)
        correct += (outputs.argmax(1) == y).sum().item()
    print(correct / len(test_loader.dataset))
