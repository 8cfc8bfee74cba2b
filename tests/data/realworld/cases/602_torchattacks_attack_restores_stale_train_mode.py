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

        self.training = model.training
        self.device = next(model.parameters()).device
        self._targeted = -1

    def forward(self, *input):
        raise NotImplementedError

    def _switch_model(self):
        r"""
        Function for changing the training mode of the model.
        """
        if self.training:
            self.model.train()
        else:
            self.model.eval()

    def __call__(self, *input, **kwargs):
        self.model.eval()
        images = self.forward(*input, **kwargs)
        self._switch_model()
        return images


class PGD(Attack):
    def __init__(self, model, eps=0.3, alpha=2/255, steps=40, random_start=False):
        super(PGD, self).__init__("PGD", model)
        self.eps = eps
        self.alpha = alpha
        self.steps = steps
        self.random_start = random_start

    def forward(self, images, labels):
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        loss = nn.CrossEntropyLoss()
        adv_images = images.clone().detach()

        for i in range(self.steps):
            adv_images.requires_grad = True
            outputs = self.model(adv_images)
            cost = self._targeted * loss(outputs, labels)
            grad = torch.autograd.grad(cost, adv_images, retain_graph=False, create_graph=False)[0]
            adv_images = adv_images.detach() - self.alpha * grad.sign()
            delta = torch.clamp(adv_images - images, min=-self.eps, max=self.eps)
            adv_images = torch.clamp(images + delta, min=0, max=1).detach()
        return adv_images


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

    # initialize model (model.training is True here)
    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(torch.load("./resnet18_cifar10.pth"))
    atk = PGD(model, eps=8/255, alpha=2/255, steps=4)
    model.eval()
    print("Robust accuracy: %.2f %%" % robust_accuracy(model, atk, test_loader, "cpu"))
