from .coil_icra import CoILICRA


def CoILModel(architecture_name, architecture_configuration):
    if architecture_name == 'coil-icra':
        return CoILICRA(architecture_configuration)
    else:
        raise ValueError(" Not found architecture name")
