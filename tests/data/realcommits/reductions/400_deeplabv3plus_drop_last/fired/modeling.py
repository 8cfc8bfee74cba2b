from layers import PoolHead


def build(cin, cout):
    return PoolHead(cin, cout)
