import contextlib
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class BaseLogic:
    def __init__(self, options: Optional[Dict[str, Any]] = None):
        super().__init__()
        options = options.copy() if options else {}
        self.consume_options(options)

    def consume_options(self, options: Dict[str, Any]) -> None:
        pass

    def train_epoch_begin(self, models, epoch, loader) -> None:
        pass

    def train_epoch_end(self, models, epoch) -> None:
        pass

    def train_validation_begin(self, models) -> None:
        pass

    def train_validation_end(
            self,
            models: Mapping[str, torch.nn.Module],
    ) -> None:
        """A method called when the validation completes."""
        pass


class Logic(BaseLogic):
    def __init__(self, model_name: str = 'main', options: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(options)
        self.model_name = model_name

    def _forward(self, model: torch.nn.Module, batch: Any) -> Any:
        if isinstance(batch, tuple) and hasattr(batch, '_fields'):
            return model(batch)
        if isinstance(batch, dict):
            return model(**batch)
        if isinstance(batch, (list, tuple)):
            return model(*batch)
        return model(batch)

    def _backward(self, outputs: Dict[str, Any]) -> None:
        for v in outputs.values():
            if isinstance(v, torch.Tensor) and v.grad_fn is not None:
                v.backward()

    def train_epoch_begin(
            self,
            models: Mapping[str, torch.nn.Module],
            epoch: int,
            loader: Iterable[Any],
    ) -> None:
        """A method called when starting a new epoch of training."""
        model = models[self.model_name]
        model.train()
        if hasattr(loader, 'sampler') and hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(epoch)

    def train_step(
            self,
            models: Mapping[str, torch.nn.Module],
            optimizers: Mapping[str, torch.optim.Optimizer],
            batch_idx: int,
            batch: Any,
    ) -> Any:
        """A method invokes the model forward and backward passes."""
        optimizers[self.model_name].zero_grad()
        outs = self._forward(models[self.model_name], batch)
        to_back_outs = outs if isinstance(outs, dict) else {'loss': outs}
        self._backward(to_back_outs)
        return outs

    def train_step_optimizers(
            self,
            models: Mapping[str, torch.nn.Module],
            optimizers: Mapping[str, torch.optim.Optimizer],
            batch_idx: int,
    ) -> None:
        optimizer = optimizers[self.model_name]
        optimizer.step()

    def train_validation_begin(
            self,
            models: Mapping[str, torch.nn.Module],
    ) -> None:
        """A method called when starting a validation."""
        model = models[self.model_name]
        model.eval()

    def eval_step(
            self,
            models: Mapping[str, torch.nn.Module],
            batch_idx: int,
            batch: Any,
    ) -> Any:
        model = models[self.model_name]
        outs = self._forward(model, batch)
        return outs


class Handler:
    def __init__(self, logic: BaseLogic) -> None:
        self._logic = logic

    def train_epoch_begin(self, trainer: 'Trainer', loader: Iterable[Any]) -> None:
        self._logic.train_epoch_begin(trainer.models, trainer.epoch, loader)

    def train_epoch_end(self, trainer: 'Trainer') -> None:
        self._logic.train_epoch_end(trainer.models, trainer.epoch)

    def train_validation_begin(self, trainer: 'Trainer', evaluator: 'Evaluator') -> None:
        self._logic.train_validation_begin(evaluator.models)

    def train_validation_end(self, trainer: 'Trainer', evaluator: 'Evaluator') -> None:
        # Called after validation run, i.e. at the end of
        # every epoch in the training run.
        self._logic.train_validation_end(evaluator.models)

    def train_step(self, trainer: 'Trainer', batch_idx: int, batch: Any,
                   complete_fn: Callable[[int, Any], None]) -> None:
        outs = self._logic.train_step(trainer.models, trainer.optimizers, batch_idx, batch)
        self._logic.train_step_optimizers(trainer.models, trainer.optimizers, batch_idx)
        complete_fn(batch_idx, outs)

    def eval_step(self, evaluator: 'Evaluator', batch_idx: int, batch: Any,
                  complete_fn: Callable[[int, Any], None]) -> None:
        outs = self._logic.eval_step(evaluator.models, batch_idx, batch)
        complete_fn(batch_idx, outs)


class Evaluator:
    def __init__(self, handler: Handler, models: Mapping[str, torch.nn.Module]) -> None:
        self.handler = handler
        self.models = models
        self.outputs = []

    def _complete_step(self, idx: int, outs: Any) -> None:
        self.outputs.append(outs)

    def run(self, loader: Iterable[Any], *, eval_len: Optional[int] = None) -> None:
        if eval_len is None:
            eval_len = len(loader)
        loader_iter = iter(loader)
        with torch.no_grad():
            for idx in range(eval_len):
                try:
                    x = next(loader_iter)
                except StopIteration:
                    break
                self.handler.eval_step(self, idx, x, self._complete_step)
                if (idx + 1) == eval_len:
                    break


class ExtensionsManager:
    def __init__(self, models, optimizers, max_epochs: int, iters_per_epoch: int) -> None:
        self.models = models
        self.optimizers = optimizers
        self.max_epochs = max_epochs
        self.iters_per_epoch = iters_per_epoch
        self.iteration = 0
        self._extensions = []

    @property
    def epoch(self) -> int:
        return self.iteration // self.iters_per_epoch

    @property
    def stop_trigger(self) -> bool:
        return self.iteration >= self.max_epochs * self.iters_per_epoch

    def extend(self, extension, name=None, trigger=(1, 'epoch'), priority=None) -> None:
        self._extensions.append((extension, trigger))

    def _fires(self, trigger) -> bool:
        period, unit = trigger
        if unit == 'epoch':
            period = int(period * self.iters_per_epoch)
        return self.iteration % period == 0

    @contextlib.contextmanager
    def run_iteration(self):
        yield
        self.iteration += 1
        for extension, trigger in self._extensions:
            if self._fires(trigger):
                extension(self)


class Trainer:
    def __init__(self, handler: Handler, *, evaluator, models, optimizers, max_epochs: int) -> None:
        self.handler = handler
        self._models = models
        self._optimizers = optimizers
        self.max_epochs = max_epochs
        self._evaluators = {}
        if not isinstance(evaluator, dict):
            evaluator = {"Evaluator": evaluator}
        for n, e in evaluator.items():
            self._evaluators[n] = e if isinstance(e, tuple) else (e, (1, 'epoch'))
        self._manager = None

    @property
    def models(self) -> Mapping[str, torch.nn.Module]:
        return self._models

    @property
    def optimizers(self) -> Mapping[str, torch.optim.Optimizer]:
        return self._optimizers

    @property
    def manager(self) -> ExtensionsManager:
        return self._manager

    @property
    def epoch(self) -> int:
        return self._manager.epoch

    def _complete_step(self, idx: int, outs: Any) -> None:
        pass

    def run(self, train_loader: Iterable[Any], val_loader: Optional[Iterable[Any]] = None, *,
            train_len: Optional[int] = None, eval_len: Optional[int] = None) -> None:
        if train_len is None:
            train_len = len(train_loader)
        if eval_len is None and val_loader is not None:
            eval_len = len(val_loader)

        class _EvaluatorExt:
            def __init__(self, trainer: 'Trainer', evaluator: Evaluator,
                         val_loader: Optional[Iterable[Any]], eval_len: Optional[int]) -> None:
                self.needs_model_state = True
                self._trainer = trainer
                self._evaluator = evaluator
                self._val_loader = val_loader
                self._eval_len = eval_len

            def __call__(self, manager: ExtensionsManager) -> None:
                evaluator = self._evaluator
                if self._val_loader is None:
                    raise ValueError('"val_loader" is not given.')
                evaluator.handler.train_validation_begin(self._trainer, evaluator)
                evaluator.run(self._val_loader, eval_len=self._eval_len)
                evaluator.handler.train_validation_end(self._trainer, evaluator)

        if self._manager is None:
            self._manager = ExtensionsManager(self._models, self._optimizers, self.max_epochs, train_len)
            for name, (evaluator, trigger) in self._evaluators.items():
                self._manager.extend(_EvaluatorExt(self, evaluator, val_loader, eval_len),
                                     name=name, trigger=trigger)

        while not self.manager.stop_trigger:
            self.handler.train_epoch_begin(self, train_loader)
            loader_iter = iter(train_loader)
            for idx in range(train_len):
                try:
                    x = next(loader_iter)
                except StopIteration:
                    loader_iter = iter(train_loader)
                    x = next(loader_iter)
                with self.manager.run_iteration():
                    self.handler.train_step(self, idx, x, complete_fn=self._complete_step)
                if (idx + 1) == train_len or self.manager.stop_trigger:
                    break
            self.handler.train_epoch_end(self)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(20)
        self.conv2 = nn.Conv2d(20, 50, 5, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(50)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x, t):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2, 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2, 2)
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.log_softmax(self.fc2(x), dim=1)
        return {'loss': F.nll_loss(x, t), 'correct': (x.argmax(dim=1) == t).sum()}


def main(train_loader, test_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    models = {'main': model}
    optimizers = {'main': optimizer}
    handler = Handler(Logic())
    evaluator = Evaluator(handler, models)
    trainer = Trainer(handler, evaluator=(evaluator, (0.5, 'epoch')), models=models,
                      optimizers=optimizers, max_epochs=10)
    trainer.run(train_loader, test_loader)
