import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class ResNet(nn.Module):
    def __init__(self, depth=50, in_channels=3, base_channels=64, num_stages=4):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, base_channels, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        layers = []
        channels = base_channels
        for i in range(num_stages):
            out_channels = base_channels * 2 ** i
            layers.append(nn.Sequential(
                nn.Conv2d(channels, out_channels, kernel_size=3, stride=1 if i == 0 else 2, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True)))
            channels = out_channels
        self.layers = nn.Sequential(*layers)
        self.feat_dim = channels

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layers(x)


class TSNHead(nn.Module):
    def __init__(self, num_classes, in_channels):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, x, num_segs):
        x = self.avg_pool(x)
        x = x.reshape((-1, num_segs) + x.shape[1:]).mean(dim=1)
        return self.fc_cls(x.flatten(1))


class Recognizer2D(nn.Module):
    def __init__(self, backbone, cls_head):
        super().__init__()
        self.backbone = backbone
        self.cls_head = cls_head

    def forward_train(self, imgs, labels):
        batches = imgs.shape[0]
        imgs = imgs.reshape((-1,) + imgs.shape[2:])
        num_segs = imgs.shape[0] // batches
        cls_score = self.cls_head(self.backbone(imgs), num_segs)
        return dict(loss_cls=F.cross_entropy(cls_score, labels.squeeze(-1)))

    def forward_test(self, imgs):
        batches = imgs.shape[0]
        imgs = imgs.reshape((-1,) + imgs.shape[2:])
        num_segs = imgs.shape[0] // batches
        cls_score = self.cls_head(self.backbone(imgs), num_segs)
        return F.softmax(cls_score, dim=1).cpu().numpy()

    def forward(self, imgs, label=None, return_loss=True):
        if return_loss:
            return self.forward_train(imgs, label)
        return self.forward_test(imgs)

    def train_step(self, data_batch, optimizer, **kwargs):
        losses = self(data_batch['imgs'], data_batch['label'], return_loss=True)
        loss = sum(losses.values())
        return dict(loss=loss, log_vars={k: v.item() for k, v in losses.items()},
                    num_samples=len(next(iter(data_batch.values()))))


def single_gpu_test(model, data_loader):
    model.eval()
    results = []
    for data in data_loader:
        with torch.no_grad():
            result = model(return_loss=False, **data)
        results.extend(result)
    return results


class Hook:
    def before_train_epoch(self, runner):
        pass

    def before_train_iter(self, runner):
        pass

    def after_train_iter(self, runner):
        pass

    def after_train_epoch(self, runner):
        pass

    def every_n_iters(self, runner, n):
        return (runner.iter + 1) % n == 0 if n > 0 else False


class OptimizerHook(Hook):
    def __init__(self, grad_clip=None):
        self.grad_clip = grad_clip

    def after_train_iter(self, runner):
        runner.optimizer.zero_grad()
        runner.outputs['loss'].backward()
        runner.optimizer.step()


class EvalHook(Hook):
    def __init__(self, dataloader, start=None, interval=1, by_epoch=True, test_fn=None):
        self.dataloader = dataloader
        self.start = start
        self.interval = interval
        self.by_epoch = by_epoch
        if test_fn is None:
            self.test_fn = single_gpu_test
        else:
            self.test_fn = test_fn

    def after_train_iter(self, runner):
        if not self.by_epoch and self._should_evaluate(runner):
            self._do_evaluate(runner)

    def after_train_epoch(self, runner):
        if self.by_epoch and self._should_evaluate(runner):
            self._do_evaluate(runner)

    def _do_evaluate(self, runner):
        results = self.test_fn(runner.model, self.dataloader)
        key_score = self.evaluate(runner, results)
        return key_score

    def _should_evaluate(self, runner):
        if self.by_epoch:
            return (runner.epoch + 1) % self.interval == 0
        return self.every_n_iters(runner, self.interval)

    def evaluate(self, runner, results):
        eval_res = self.dataloader.dataset.evaluate(results)
        return eval_res.get('top1_acc')


class EpochBasedRunner:
    def __init__(self, model, optimizer=None, max_epochs=None):
        self.model = model
        self.optimizer = optimizer
        self._max_epochs = max_epochs
        self._hooks = []
        self._epoch = 0
        self._iter = 0
        self._inner_iter = 0
        self.outputs = None

    @property
    def epoch(self):
        return self._epoch

    @property
    def iter(self):
        return self._iter

    def register_hook(self, hook, priority='NORMAL'):
        order = {'HIGHEST': 0, 'ABOVE_NORMAL': 1, 'NORMAL': 2, 'LOW': 3}
        hook.priority = order[priority]
        self._hooks.append(hook)
        self._hooks.sort(key=lambda h: h.priority)

    def call_hook(self, fn_name):
        for hook in self._hooks:
            getattr(hook, fn_name)(self)

    def run_iter(self, data_batch, train_mode, **kwargs):
        if train_mode:
            outputs = self.model.train_step(data_batch, self.optimizer, **kwargs)
        else:
            outputs = self.model.val_step(data_batch, self.optimizer, **kwargs)
        self.outputs = outputs

    def train(self, data_loader, **kwargs):
        self.model.train()
        self.mode = 'train'
        self.data_loader = data_loader
        self.call_hook('before_train_epoch')
        for i, data_batch in enumerate(self.data_loader):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_train_iter')
            self.run_iter(data_batch, train_mode=True, **kwargs)
            self.call_hook('after_train_iter')
            del self.data_batch
            self._iter += 1
        self.call_hook('after_train_epoch')
        self._epoch += 1

    def run(self, data_loaders, workflow, max_epochs=None, **kwargs):
        if max_epochs is not None:
            self._max_epochs = max_epochs
        while self.epoch < self._max_epochs:
            for i, (mode, epochs) in enumerate(workflow):
                epoch_runner = getattr(self, mode)
                for _ in range(epochs):
                    if mode == 'train' and self.epoch >= self._max_epochs:
                        break
                    epoch_runner(data_loaders[i], **kwargs)


def train_model(model, train_dataset, val_dataset, cfg, validate=True):
    data_loaders = [DataLoader(train_dataset, batch_size=cfg['videos_per_gpu'], shuffle=True, drop_last=True)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0001)
    runner = EpochBasedRunner(model, optimizer=optimizer, max_epochs=cfg['total_epochs'])
    runner.register_hook(OptimizerHook(grad_clip=None), priority='ABOVE_NORMAL')

    if validate:
        eval_cfg = cfg.get('evaluation', {})
        val_dataloader = DataLoader(val_dataset, batch_size=1, shuffle=False)
        eval_hook = EvalHook(val_dataloader, **eval_cfg)
        runner.register_hook(eval_hook, priority='LOW')

    runner.run(data_loaders, cfg['workflow'], cfg['total_epochs'])


if __name__ == '__main__':
    import mmcv
    from mmaction.datasets import build_dataset

    cfg = mmcv.Config.fromfile('configs/recognition/tsn/tsn_r50_1x1x3_100e_kinetics400_rgb.py')
    model = Recognizer2D(ResNet(depth=50), TSNHead(num_classes=400, in_channels=512))
    train_model(model, build_dataset(cfg.data.train), build_dataset(cfg.data.val, dict(test_mode=True)),
                dict(videos_per_gpu=8, total_epochs=100, workflow=[('train', 1)],
                     evaluation=dict(by_epoch=False, interval=1000)))
