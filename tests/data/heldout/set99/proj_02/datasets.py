import os

import torch
import torchvision.transforms as T
from torchvision.datasets import ImageFolder

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_transform(is_train, input_size=224, crop_pct=0.875, auto_augment=None,
                    color_jitter=0.4, random_erase=0.0):
    if is_train:
        ops = [T.RandomResizedCrop(input_size, interpolation=T.InterpolationMode.BICUBIC),
               T.RandomHorizontalFlip()]
        if auto_augment == 'ta_wide':
            ops.append(T.TrivialAugmentWide(interpolation=T.InterpolationMode.BICUBIC))
        elif auto_augment == 'randaug':
            ops.append(T.RandAugment(interpolation=T.InterpolationMode.BICUBIC))
        elif color_jitter > 0:
            ops.append(T.ColorJitter(color_jitter, color_jitter, color_jitter))
        ops += [T.PILToTensor(), T.ConvertImageDtype(torch.float),
                T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
        if random_erase > 0:
            ops.append(T.RandomErasing(p=random_erase))
        return T.Compose(ops)

    size = int(input_size / crop_pct)
    return T.Compose([
        T.Resize(size, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(input_size),
        T.PILToTensor(),
        T.ConvertImageDtype(torch.float),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def build_dataset(is_train, args):
    transform = build_transform(is_train, args.input_size, args.crop_pct,
                                auto_augment=args.auto_augment if is_train else None,
                                color_jitter=args.color_jitter,
                                random_erase=args.reprob if is_train else 0.0)
    root = os.path.join(args.data_path, 'train' if is_train else 'val')
    dataset = ImageFolder(root, transform=transform)
    return dataset, len(dataset.classes)
