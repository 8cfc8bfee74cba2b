from .textcnn import TextCNN
from .dpcnn import DPCNN
from .rnn import BiLSTMMaxPool

MODEL_REGISTRY = {
    'textcnn': TextCNN,
    'dpcnn': DPCNN,
    'bilstm': BiLSTMMaxPool,
}


def get_model(name, vocab_size, num_classes, **kwargs):
    try:
        cls = MODEL_REGISTRY[name]
    except KeyError:
        raise ValueError('model must be one of {}'.format(list(MODEL_REGISTRY)))
    return cls(vocab_size=vocab_size, num_classes=num_classes, **kwargs)
