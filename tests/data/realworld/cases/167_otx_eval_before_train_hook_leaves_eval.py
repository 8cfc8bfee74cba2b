import torch
from mmcv.runner import HOOKS, EvalHook, Hook


@HOOKS.register_module()
class EvalBeforeTrainHook(Hook):
    """Evaluate the model before the first training epoch."""

    def __init__(self, priority="ABOVE_NORMAL"):
        self.priority = priority
        self._executed = False

    def before_train_epoch(self, runner):
        if not self._executed:
            for hook in runner.hooks:
                if isinstance(hook, EvalHook):
                    runner.model.eval()
                    results = self._single_gpu_test(runner.model, hook.dataloader)
                    hook.evaluate(runner, results)
                    break
            self._executed = True

    @staticmethod
    def _single_gpu_test(model, data_loader):
        results = []
        for data in data_loader:
            with torch.no_grad():
                results.extend(model(return_loss=False, **data))
        return results


class EpochBasedRunner:
    def __init__(self, model, optimizer, hooks, max_epochs):
        self.model = model
        self.optimizer = optimizer
        self.hooks = hooks
        self._max_epochs = max_epochs

    def call_hook(self, fn_name):
        for hook in self.hooks:
            getattr(hook, fn_name)(self)

    def train(self, data_loader):
        self.model.train()
        self.call_hook("before_train_epoch")
        for data_batch in data_loader:
            outputs = self.model.train_step(data_batch, self.optimizer)
            self.optimizer.zero_grad()
            outputs["loss"].backward()
            self.optimizer.step()
        self.call_hook("after_train_epoch")

    def run(self, data_loader):
        for epoch in range(self._max_epochs):
            self.train(data_loader)
