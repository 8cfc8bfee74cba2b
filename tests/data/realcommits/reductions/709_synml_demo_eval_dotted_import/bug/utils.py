import models.backbone


def get_model(model_name, num_classes):
    return models.backbone.Backbone(num_classes)
