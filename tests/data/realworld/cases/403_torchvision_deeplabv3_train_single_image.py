import torch
import torchvision

model = torchvision.models.segmentation.deeplabv3_resnet50(pretrained=False, num_classes=21)
model.train()

criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

image = torch.rand(1, 3, 240, 320)
target = torch.randint(0, 21, (1, 240, 320))

optimizer.zero_grad()
output = model(image)["out"]
loss = criterion(output, target)
loss.backward()
optimizer.step()
