import torch
import torch.nn as nn
from torch.autograd import Variable


class Conv_down(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.conv(x)
        return self.pool(x), x


class CleanU_Net(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.Conv_down1 = Conv_down(in_channels, 32)
        self.Conv_down2 = Conv_down(32, 64)
        self.Conv_out = nn.Conv2d(64, out_channels, 1, padding=0, stride=1)

    def forward(self, x):
        x, conv1 = self.Conv_down1(x)
        _, x = self.Conv_down2(x)
        return self.Conv_out(x)


def train_model(model, data_train, criterion, optimizer):
    model.train()
    for batch, (images, masks) in enumerate(data_train):
        images = Variable(images.cuda())
        masks = Variable(masks.cuda())
        loss = criterion(model(images), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def validate_model(model, data_val, criterion):
    total_val_loss = 0
    for batch, (images_v, masks_v) in enumerate(data_val):
        with torch.no_grad():
            image_v = Variable(images_v.cuda())
            mask_v = Variable(masks_v.cuda())
            output_v = model(image_v)
            total_val_loss = total_val_loss + criterion(output_v, mask_v).cpu().item()
    return total_val_loss / (batch + 1)


if __name__ == "__main__":
    model = torch.nn.DataParallel(CleanU_Net(in_channels=1, out_channels=2), device_ids=list(range(torch.cuda.device_count()))).cuda()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.RMSprop(model.module.parameters(), lr=0.001)
    SEM_train_load = torch.load("train_loader.pt")
    SEM_val_load = torch.load("val_loader.pt")
    for i in range(2000):
        train_model(model, SEM_train_load, criterion, optimizer)
        val_loss = validate_model(model, SEM_val_load, criterion)
        print("Epoch", str(i + 1), "Val loss:", val_loss)
