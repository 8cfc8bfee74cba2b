from .coil_model import CoILModel
