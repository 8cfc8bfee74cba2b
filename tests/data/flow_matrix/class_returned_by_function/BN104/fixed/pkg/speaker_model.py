import pkg.resnet as resnet


def get_speaker_model(model_name: str):
    return getattr(resnet, model_name)
