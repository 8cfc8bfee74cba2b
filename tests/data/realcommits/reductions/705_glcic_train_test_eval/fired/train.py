import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.Conv2d(8, 3, 1))
opt = torch.optim.Adam(model.parameters())


def main(train_loader, test_x):
    step = 0
    for x in train_loader:
        loss = (model(x) - x[:, :3]).abs().mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        step += 1
        if step % 100 == 0:
            with torch.no_grad():
                output = model(test_x).argmax(1)
                torch.save(output.cpu(), 'step%d.pt' % step)
