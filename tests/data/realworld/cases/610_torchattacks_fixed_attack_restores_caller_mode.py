import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as transforms


class Attack(object):
    r"""
    Base class for all attacks.

    .. note::
        It temporarily changes the model's training mode to `test`
        by `.eval()` only during an attack process.
    """
    def __init__(self, name, model):
        self.attack = name
        self.model = model
        self.model_name = str(model).split("(")[0]
        self.device = next(model.parameters()).device
        self._targeted = -1

    def forward(self, *input):
        raise NotImplementedError

    def __call__(self, *input, **kwargs):
        training_mode = self.model.training
        if training_mode:
            self.model.eval()
        images = self.forward(*input, **kwargs)
        if training_mode:
            self.model.train()
        return images


class FGSM(Attack):
    def __init__(self, model, eps=0.007):
        super(FGSM, self).__init__("FGSM", model)
        self.eps = eps

    def forward(self, images, labels):
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        loss = nn.CrossEntropyLoss()
        images.requires_grad = True
        outputs = self.model(images)
        cost = self._targeted * loss(outputs, labels)
        grad = torch.autograd.grad(cost, images, retain_graph=False, create_graph=False)[0]
        adv_images = images - self.eps * grad.sign()
        return torch.clamp(adv_images, min=0, max=1).detach()


def robust_accuracy(model, atk, test_loader, device):
    correct = 0
    total = 0
    for images, labels in test_loader:
        adv_images = atk(images, labels)
        with torch.no_grad():
            outputs = model(adv_images.to(device))
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted.cpu() == labels).sum().item()
    return 100 * float(correct) / total


if __name__ == "__main__":
    test_data = torchvision.datasets.CIFAR10(root="./data", train=False, transform=transforms.ToTensor())
    test_loader = torch.utils.data.DataLoader(test_data, batch_size=128, shuffle=False)

    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(torch.load("./resnet18_cifar10.pth"))
    atk = FGSM(model, eps=8/255)
    model.eval()
    print("Robust accuracy: %.2f %%" % robust_accuracy(model, atk, test_loader, "cpu"))
