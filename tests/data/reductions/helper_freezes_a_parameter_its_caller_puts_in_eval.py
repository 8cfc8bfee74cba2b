import torch
import torch.nn as nn
import torch.optim as optim


def get_encoder():
    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())


def linear_eval(encoder, loader):
    for param in encoder.parameters():
        param.requires_grad = False

    classifier = nn.Linear(8, 10)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(classifier.parameters())

    for _ in range(10):
        for img, label in loader:
            with torch.no_grad():
                z = encoder(img)
            loss = loss_fn(classifier(z), label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def main():
    encoder = get_encoder()
    encoder.eval()
    linear_eval(encoder, [])


if __name__ == '__main__':
    main()
