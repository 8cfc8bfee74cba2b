import time
import torch
from torch import nn


def get_model():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    model.load_state_dict(torch.load("pruned.pth"))
    return model


def main():
    model = get_model()
    dummy_input = torch.randn(64, 3, 32, 32)
    start = time.time()
    with torch.no_grad():
        use_mask_out = model(dummy_input)
    print('elapsed time when use mask: ', time.time() - start)


if __name__ == '__main__':
    main()
