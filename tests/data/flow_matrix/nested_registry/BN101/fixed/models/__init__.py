from .blocks import CTC, VGG

model_dict = {
    "feature_extraction": {"VGG": VGG},
    "prediction": {"CTC": CTC},
}
