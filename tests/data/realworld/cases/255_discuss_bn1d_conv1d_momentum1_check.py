import torch
import torch.nn as nn

# BatchNorm1d: mean/std are computed per channel over (N, L); momentum=1 keeps
# only the latest batch statistics so they can be compared with a manual computation.
conv1 = nn.Conv1d(4, 16, 1)
bn1 = nn.BatchNorm1d(16, eps=1e-5, momentum=1)
x = torch.rand(32, 4, 1)
input = conv1(x)
print("Input to batch norm:", input.shape)  # (32, 16, 1)
after_norm = bn1(input)

Ex = input.mean(dim=[0, 2], keepdim=True)
Varx = input.var(dim=[0, 2], keepdim=True, unbiased=False)
after_norm2 = (input - Ex) / torch.sqrt(Varx + bn1.eps) * bn1.weight.unsqueeze(0).unsqueeze(-1) \
    + bn1.bias.unsqueeze(0).unsqueeze(-1)
print(torch.allclose(after_norm, after_norm2, atol=1e-5))

print("Test Running Mean:")
print(input.mean(dim=(0, 2)))
print(bn1.running_mean)
print("Test Running Variance:")
print(input.var(dim=(0, 2)))
print(bn1.running_var)
