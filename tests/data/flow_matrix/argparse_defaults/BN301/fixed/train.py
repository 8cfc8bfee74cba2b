import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from nets import Net
from options import get_args

args = get_args()
dataset = TensorDataset(torch.randn(1001, 3, 32, 32), torch.randint(0, 10, (1001,)))
loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, drop_last=args.drop_last)
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
for epoch in range(args.epochs):
    model.train()
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
