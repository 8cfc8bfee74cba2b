# Bug? BatchNorm running stats of a frozen torchvision backbone still change
# torch 2.1.2 / torchvision 0.16.2
import torch
import torchvision
from torch import nn

torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None, num_classes=10)

# freeze everything except the classifier
for name, p in model.named_parameters():
    if not name.startswith("fc."):
        p.requires_grad = False  # expect: BN105

optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()
rm_before = model.layer1[0].bn1.running_mean.clone()
w_before = model.layer1[0].bn1.weight.clone()

model.train()
for step in range(5):
    images = torch.randn(16, 3, 224, 224)
    labels = torch.randint(0, 10, (16,))
    loss = criterion(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())

bn = model.layer1[0].bn1
print("weight changed:      ", not torch.equal(w_before, bn.weight))       # False
print("running_mean changed:", not torch.equal(rm_before, bn.running_mean))  # True (?!)
