import torch.nn as nn
import tqdm
from torch.nn.utils import clip_grad_norm_

from pcdet.config import cfg
from pcdet.datasets import build_dataloader
from pcdet.models import build_network, model_fn_decorator
from train_utils.optimization import build_optimizer, build_scheduler


def train_one_epoch(model, optimizer, train_loader, model_func, lr_scheduler, accumulated_iter, optim_cfg,
                    total_it_each_epoch, dataloader_iter):
    if total_it_each_epoch == len(train_loader):
        dataloader_iter = iter(train_loader)

    for cur_it in range(total_it_each_epoch):
        try:
            batch = next(dataloader_iter)
        except StopIteration:
            dataloader_iter = iter(train_loader)
            batch = next(dataloader_iter)

        lr_scheduler.step(accumulated_iter)

        model.train()
        optimizer.zero_grad()

        loss, tb_dict, disp_dict = model_func(model, batch)

        loss.backward()
        clip_grad_norm_(model.parameters(), optim_cfg.GRAD_NORM_CLIP)
        optimizer.step()
        accumulated_iter += 1
    return accumulated_iter


def train_model(model, optimizer, train_loader, model_func, lr_scheduler, optim_cfg,
                start_epoch, total_epochs, start_iter):
    accumulated_iter = start_iter
    with tqdm.trange(start_epoch, total_epochs, desc='epochs', dynamic_ncols=True) as tbar:
        total_it_each_epoch = len(train_loader)
        dataloader_iter = iter(train_loader)
        for cur_epoch in tbar:
            accumulated_iter = train_one_epoch(
                model, optimizer, train_loader, model_func,
                lr_scheduler=lr_scheduler,
                accumulated_iter=accumulated_iter, optim_cfg=optim_cfg,
                total_it_each_epoch=total_it_each_epoch,
                dataloader_iter=dataloader_iter
            )


def main(args):
    train_set, train_loader, train_sampler = build_dataloader(
        dataset_cfg=cfg.DATA_CONFIG, class_names=cfg.CLASS_NAMES, batch_size=args.batch_size,
        dist=False, workers=args.workers, training=True, total_epochs=args.epochs)

    model = build_network(model_cfg=cfg.MODEL, num_class=len(cfg.CLASS_NAMES), dataset=train_set)
    model.cuda()
    model.load_params_from_file(filename=args.pretrained_model, to_cpu=False)
    model.train()  # before wrap to DistributedDataParallel to support fixed some parameters

    # keep the pretrained BEV backbone frozen while fine-tuning the dense head
    for param in model.backbone_2d.parameters():
        param.requires_grad = False
    for m in model.backbone_2d.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()

    optimizer = build_optimizer(model, cfg.OPTIMIZATION)
    lr_scheduler, lr_warmup_scheduler = build_scheduler(
        optimizer, total_iters_each_epoch=len(train_loader), total_epochs=args.epochs,
        last_epoch=-1, optim_cfg=cfg.OPTIMIZATION)

    train_model(
        model, optimizer, train_loader,
        model_func=model_fn_decorator(),
        lr_scheduler=lr_scheduler,
        optim_cfg=cfg.OPTIMIZATION,
        start_epoch=0, total_epochs=args.epochs, start_iter=0,
    )
