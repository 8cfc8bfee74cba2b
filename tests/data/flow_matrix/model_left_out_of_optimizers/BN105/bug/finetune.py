import torch
import torch.nn.functional as F

from nets import Disparity, Refine


def main():
    model = Disparity()
    model.load_state_dict(torch.load("disparity.pth"))
    refine_model = Refine()
    optimizer = torch.optim.SGD(refine_model.parameters(), lr=0.01, momentum=0.9)
    loader = torch.utils.data.DataLoader([], batch_size=16, drop_last=True)
    for epoch in range(10):
        model.train()
        refine_model.train()
        for left, right, target in loader:
            with torch.no_grad():
                coarse = model(left, right)
            loss = F.smooth_l1_loss(refine_model(left, coarse), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        torch.save(refine_model.state_dict(), "refine.pth")


if __name__ == "__main__":
    main()
