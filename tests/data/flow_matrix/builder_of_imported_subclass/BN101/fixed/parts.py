import backbones


class Trunk(backbones.ResNet):
    def __init__(self, width):
        super().__init__(width)


def Backbone(width=64):
    model = Trunk(width)
    return model
