from ._heads import DeepLabHead


def deeplab_small(num_classes):
    return DeepLabHead(64, num_classes)


def deeplab_large(num_classes):
    return DeepLabHead(256, num_classes)
