import copy

import torch


class ModelEma:
    """Keeps an exponential moving average of a model's parameters and buffers.

    The averaged copy is only ever used for evaluation, so it is switched to
    eval mode once here and never trained.
    """

    def __init__(self, model, decay):
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        model_sd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            src = model_sd[k].detach()
            if v.dtype.is_floating_point:
                v.lerp_(src, 1.0 - self.decay)
            else:
                v.copy_(src)
