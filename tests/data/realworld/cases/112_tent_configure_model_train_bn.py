import torch
import torch.jit
import torch.nn as nn
import torchvision


def softmax_entropy(x: torch.Tensor) -> torch.Tensor:
    return -(x.softmax(1) * x.log_softmax(1)).sum(1)


def configure_model(model):
    """Configure model for use with tent."""
    # train mode, because tent optimizes the model to minimize entropy
    model.train()
    # disable grad, to (re-)enable only what tent updates
    model.requires_grad_(False)
    # configure norm for tent updates: enable grad + force batch statisics
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(True)
            # force use of batch stats in train and eval modes
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
    return model


def collect_params(model):
    params = []
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            for np_, p in m.named_parameters():
                if np_ in ["weight", "bias"]:
                    params.append(p)
    return params


@torch.enable_grad()
def forward_and_adapt(x, model, optimizer):
    outputs = model(x)
    loss = softmax_entropy(outputs).mean(0)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return outputs


def evaluate(base_model, test_loader):
    model = configure_model(base_model)
    optimizer = torch.optim.Adam(collect_params(model), lr=1e-3, betas=(0.9, 0.999))
    correct = 0
    for x, y in test_loader:
        outputs = forward_and_adapt(x, model, optimizer)
        correct += (outputs.argmax(1) == y).sum().item()
    return correct / len(test_loader.dataset)


if __name__ == "__main__":
    base_model = torchvision.models.resnet50(pretrained=True)
    print(evaluate(base_model, torch.load("imagenet_c_gaussian_noise_5.pt")))
