from tdnn import XVector


def main():
    node_num = [512, 512]
    model = XVector(64, 10, node_num)
    return model
