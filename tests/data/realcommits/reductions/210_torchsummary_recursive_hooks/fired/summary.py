import torch
import torchvision


def apply_hooks(module, orig_model, summary_list, hooks, depth=0):
    if module is not orig_model:
        hooks.append(module.register_forward_hook(lambda m, i, o: summary_list.append((type(m).__name__, o.shape))))
    for child in module.children():
        hooks.append(child.register_forward_hook(lambda m, i, o: summary_list.append((type(m).__name__, o.shape))))


def summary(model, input_data, device="cpu"):
    summary_list, hooks = [], []
    apply_hooks(model, model, summary_list, hooks)
    with torch.no_grad():
        _ = model.to(device)(input_data.to(device))
    for hook in hooks:
        hook.remove()
    return summary_list


def main(images):
    model = torchvision.models.resnet18()
    print(summary(model, images))
