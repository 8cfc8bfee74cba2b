import torch
import torchvision


class Trainer:
    def __init__(self, model, teacher, optimizer, train_loader, val_loader):
        self.model = model
        self.teacher = teacher
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader

    def validate(self, device, model, teacher):
        self.model.eval()
        self.teacher.eval()
        correct = 0
        with torch.no_grad():
            for image, labels in self.val_loader:
                outputs = model(image.to(device))
                outputs_t = teacher(image.to(device))
                correct += (outputs.argmax(1) == labels.to(device)).sum().item()
        return correct

    def train(self, device, epochs):
        for epoch in range(epochs):
            self.model.train()
            for image, labels in self.train_loader:
                loss = torch.nn.functional.cross_entropy(self.model(image.to(device)), labels.to(device))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            if epoch % 2 == 0:
                print(epoch, self.validate(device, self.model, self.teacher))


def main(train_loader, val_loader):
    model = torchvision.models.resnet18(num_classes=10).cuda()
    teacher = torchvision.models.resnet18(num_classes=10).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, teacher, optimizer, train_loader, val_loader)
    trainer.train("cuda", 10)
