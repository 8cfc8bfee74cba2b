import torch
import torch.nn as nn


def main():
    batch_norm = nn.BatchNorm1d(
        num_features=512,
        eps=0.0,
        momentum=0.9,
    )
    input_tensor = torch.randn(16, 512)  # (batch_size, num_features)
    output = batch_norm(input_tensor)
    print(output)


if __name__ == "__main__":
    main()
