import contextlib
from copy import deepcopy

import torch
import torchmetrics
import torchvision
from composer.models import ComposerClassifier


class Trainer:
    def __init__(self, model, train_dataloader, optimizers, train_metrics, grad_accum=1):
        self.state = type('State', (), {})()
        self.state.model = model
        self.state.optimizers = optimizers
        self.state.train_metrics = train_metrics
        self.state.outputs = None
        self._original_model = model
        self._train_dataloader = train_dataloader
        self._grad_accum = grad_accum

    def _train_loop(self, max_batches):
        for batch_idx, self.state.batch in enumerate(self._train_dataloader):
            self.state.model.train()
            total_loss = self._train_batch()
            if batch_idx + 1 >= max_batches:
                break

    def _train_batch(self):
        microbatches = self._split_batch(self.state.batch, self._grad_accum)
        total_loss_dict = {}
        return self._train_microbatches(microbatches, total_loss_dict)

    def _split_batch(self, batch, n):
        x, y = batch
        return list(zip(x.chunk(n), y.chunk(n)))

    def _eval_train_metrics(self, device_batch):
        self.state.model.eval()
        with torch.no_grad():
            eval_outputs = self._original_model.eval_forward(device_batch, self.state.outputs)
            for _, metric in self.state.train_metrics.items():
                self._original_model.update_metric(device_batch, eval_outputs, metric)

    def _train_microbatches(self, microbatches, total_loss_dict, ddp_sync=True):
        context = contextlib.nullcontext
        with context():
            for optimizer in self.state.optimizers:
                optimizer.zero_grad()

            current_batch_size = sum([len(batch[0]) for batch in microbatches])

            for microbatch_idx, self.state.batch in enumerate(microbatches):
                is_final_microbatch = microbatch_idx + 1 == len(microbatches)
                microbatch_loss_dict = self._train_microbatch(current_batch_size, is_final_microbatch)
                for k, microbatch_loss in microbatch_loss_dict.items():
                    loss_key = f'loss/train/{k}'
                    total_loss_dict[loss_key] = total_loss_dict.get(loss_key, 0) + microbatch_loss

            for optimizer in self.state.optimizers:
                optimizer.step()
            return total_loss_dict['loss/train/total']

    def _train_microbatch(self, current_batch_size, is_final_microbatch):
        # Cache the device batch, because `self.state.batch` gets overridden in microbatching loop
        device_batch = deepcopy(self.state.batch)
        microbatch_num_samples = len(self.state.batch[0])

        # forward pass
        self.state.outputs = self.state.model(self.state.batch)
        # loss
        self.state.loss = self._original_model.loss(self.state.outputs, self.state.batch)
        microbatch_loss = self.state.loss
        microbatch_loss_dict = {'total': microbatch_loss.detach().clone() * (microbatch_num_samples / current_batch_size)}

        # backward
        microbatch_loss.mul_(microbatch_num_samples / current_batch_size)
        microbatch_loss.backward()

        # Use microbatch outputs to update training metrics
        if self.state.train_metrics is not None:
            self._eval_train_metrics(device_batch)

        return microbatch_loss_dict


if __name__ == '__main__':
    model = ComposerClassifier(torchvision.models.resnet18(num_classes=10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, train_dataloader=[], optimizers=[optimizer],
                      train_metrics={'Accuracy': torchmetrics.Accuracy(task='multiclass', num_classes=10)},
                      grad_accum=4)
    trainer._train_loop(max_batches=1000)
