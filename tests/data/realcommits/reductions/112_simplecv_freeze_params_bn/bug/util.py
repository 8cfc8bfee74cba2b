def freeze_params(module):
    for name, p in module.named_parameters():
        p.requires_grad = False
