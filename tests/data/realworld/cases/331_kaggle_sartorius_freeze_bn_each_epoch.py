import gc
import time
from functools import partial

import numpy as np
import torch
from mmcv.parallel import collate
from torch.utils.data import DataLoader

from data.dataset import SartoriusDataset
from inference.predict import predict
from model_zoo.models import define_model
from training.optim import define_optimizer, define_scheduler
from utils.metrics import quick_eval_results

NUM_WORKERS = 4

BATCH_SIZES = {
    "maskrcnn": {"resnet50": 4, "resnext101": 4},
    "cascade": {
        "resnet50": 4,
        "resnext101": 3,
        "efficientnetv2_s": 4,
        "efficientnet_b4": 4,
        "efficientnet_b5": 2,
    },
    "htc": {"resnet50": 3, "resnext101": 2},
}


# src/utils/torch.py
def freeze_batchnorm(model):
    """
    Freezes the batch normalization layers of a model.
    """
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            if hasattr(module, 'weight'):
                module.weight.requires_grad_(False)
            if hasattr(module, 'bias'):
                module.bias.requires_grad_(False)
            module.eval()


def worker_init_fn(worker_id):
    np.random.seed(np.random.get_state()[1][0] + worker_id)


# src/data/loader.py
def define_loaders(train_dataset=None, val_dataset=None, batch_size=32, val_bs=32, num_workers=NUM_WORKERS):
    train_loader, val_loader = None, None
    if train_dataset is not None:
        train_loader = DataLoader(
            train_dataset,
            batch_size=batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=min(num_workers, batch_size),
            collate_fn=partial(collate, samples_per_gpu=batch_size),
            pin_memory=False,
            worker_init_fn=worker_init_fn
        )
    if val_dataset is not None:
        val_loader = DataLoader(
            val_dataset,
            batch_size=val_bs,
            shuffle=False,
            collate_fn=partial(collate, samples_per_gpu=batch_size),
            num_workers=min(num_workers, val_bs),
            pin_memory=True,
        )
    return train_loader, val_loader


# src/training/train.py
def fit(model, train_dataset, val_dataset, predict_dataset, optimizer_name="Adam", scheduler_name="linear",
        epochs=50, batch_size=32, val_bs=32, warmup_prop=0.1, lr=1e-3, weight_decay=0, verbose_eval=5,
        first_epoch_eval=0, compute_val_loss=True, num_classes=3, freeze_bn=False, device="cuda"):
    optimizer = define_optimizer(optimizer_name, model, lr=lr, weight_decay=weight_decay)
    train_loader, val_loader = define_loaders(train_dataset, val_dataset, batch_size=batch_size, val_bs=val_bs)

    num_training_steps = len(train_dataset.img_paths) * epochs // batch_size
    num_warmup_steps = int(warmup_prop * num_training_steps)
    scheduler = define_scheduler(scheduler_name, optimizer, num_warmup_steps, num_training_steps)

    results = None
    for epoch in range(1, epochs + 1):
        model.train()
        if freeze_bn:
            freeze_batchnorm(model)
        start_time = time.time()
        optimizer.zero_grad()
        avg_loss = 0

        for batch in train_loader:
            losses = model(**batch, return_loss=True)
            loss, _ = model.module._parse_losses(losses)
            loss.backward()
            avg_loss += loss.item() / len(train_loader)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.)
            optimizer.step()
            scheduler.step()
            for param in model.parameters():
                param.grad = None

        model.eval()
        avg_val_loss, iou_map = 0, 0
        do_eval = (epoch >= first_epoch_eval and not epoch % verbose_eval) or (epoch == epochs)
        if do_eval:
            if compute_val_loss:
                with torch.no_grad():
                    for batch in val_loader:
                        losses = model(**batch, return_loss=True)
                        loss, _ = model.module._parse_losses(losses)
                        avg_val_loss += loss.item() / len(val_loader)
            results = predict(predict_dataset, model, batch_size=1, device=device, mode="val")
            iou_map, _ = quick_eval_results(predict_dataset, results, num_classes=num_classes)

        print(f"Epoch {epoch:02d}/{epochs:02d} \t t={time.time() - start_time:.0f}s\tloss={avg_loss:.3f}"
              f"\t avg_val_loss={avg_val_loss:.3f}\t iou_map={iou_map:.3f}")
        gc.collect()
        torch.cuda.empty_cache()
    return results


# src/training/main.py
def train(config, df_train, df_val, pipelines, fold):
    model = define_model(
        config.model_config,
        encoder=config.encoder,
        pretrained_livecell=config.pretrained_livecell,
    ).to(config.device)
    model.zero_grad()

    if config.freeze_bn:
        freeze_batchnorm(model)

    train_dataset = SartoriusDataset(df_train, transforms=pipelines['train'])
    val_dataset = SartoriusDataset(df_val, transforms=pipelines['val'])
    predict_dataset = SartoriusDataset(df_val, transforms=pipelines['test'])

    return fit(
        model,
        train_dataset,
        val_dataset,
        predict_dataset,
        optimizer_name=config.optimizer,
        scheduler_name=config.scheduler,
        epochs=config.epochs,
        batch_size=config.batch_size,
        val_bs=config.val_bs,
        lr=config.lr,
        warmup_prop=config.warmup_prop,
        verbose_eval=config.verbose_eval,
        first_epoch_eval=config.first_epoch_eval,
        compute_val_loss=config.compute_val_loss,
        num_classes=config.num_classes,
        freeze_bn=config.freeze_bn,
        device=config.device,
    )


# src/main_training.py
class Config:
    seed = 42
    first_epoch_eval = 10
    compute_val_loss = False
    verbose_eval = 10
    device = "cuda" if torch.cuda.is_available() else "cpu"
    num_classes = 3
    name = "cascade"
    encoder = "efficientnet_b5"
    model_config = f"configs/config_{name}.py"
    pretrained_livecell = True
    freeze_bn = True
    optimizer = "AdamW"
    scheduler = "linear"
    batch_size = BATCH_SIZES[name][encoder]
    val_bs = batch_size
    epochs = 10 * batch_size
    lr = 2e-4
    warmup_prop = 0.05
