from .resnet import ResNetEncoder, resnet_encoders


def get_encoder(name, in_channels=3, depth=5, weights=None):
    try:
        params = resnet_encoders[name]
    except KeyError:
        raise KeyError("Wrong encoder name `{}`, supported encoders: {}".format(name, list(resnet_encoders)))
    encoder = ResNetEncoder(in_channels=in_channels, depth=depth, **params)
    if weights is not None:
        import torch

        state_dict = torch.load(weights, map_location="cpu")
        state_dict.pop("fc.bias", None)
        state_dict.pop("fc.weight", None)
        encoder.load_state_dict(state_dict)
    return encoder
