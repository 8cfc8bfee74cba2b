from models.backbone import Backbone


def get_model(model_name, num_classes):
    return Backbone(num_classes)
