import torch
from torchvision import models


def set_parameter_requires_grad(model):
    for param in model.parameters():
        param.requires_grad = False


if __name__ == "__main__":
    model = models.densenet121(pretrained=True)
    set_parameter_requires_grad(model)
    input_ = torch.zeros((1, 3, 224, 224))

    model.eval()
    eval_value = model(input_)

    model.train()
    another_variable = model(input_)

    model.eval()
    eval_value_2 = model(input_)

    # expected identical: no parameter can change once requires_grad is False
    print(eval_value[0, 0:3])
    print(eval_value_2[0, 0:3])
