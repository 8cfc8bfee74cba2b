# torchvision references/classification/train_quantization.py after the QAT+DDP
# update: with --sync-bn the model is converted to SyncBatchNorm right after
# being moved to the device, before fusion/prepare_qat and before the
# DistributedDataParallel wrap.
import argparse

import torch
import torch.ao.quantization
import torch.utils.data
import torchvision


def get_args_parser():
    parser = argparse.ArgumentParser(description="PyTorch Quantized Classification Training")
    parser.add_argument("--model", default="mobilenet_v2", type=str)
    parser.add_argument("--backend", default="qnnpack", type=str)
    parser.add_argument("-b", "--batch-size", default=32, type=int)
    parser.add_argument("--lr", default=0.0001, type=float)
    parser.add_argument("--sync-bn", dest="sync_bn", action="store_true")
    parser.add_argument("--distributed", action="store_true")
    parser.add_argument("--gpu", default=0, type=int)
    return parser


def main(args):
    device = torch.device("cuda")
    if args.distributed:
        torch.distributed.init_process_group(backend="nccl", init_method="env://")

    print("Creating model", args.model)
    model = torchvision.models.quantization.__dict__[args.model](weights=None, quantize=False)
    model.to(device)

    if args.distributed and args.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)

    model.fuse_model(is_qat=True)
    model.qconfig = torch.ao.quantization.get_default_qat_qconfig(args.backend)
    torch.ao.quantization.prepare_qat(model, inplace=True)

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    model_without_ddp = model
    if args.distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu])
        model_without_ddp = model.module
    return model, model_without_ddp, optimizer


if __name__ == "__main__":
    args = get_args_parser().parse_args()
    main(args)
