import os
import unittest

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

import keras
from keras.models import Sequential
from keras.layers import BatchNormalization

from nn_transfer import transfer

keras.backend.set_image_data_format('channels_first')

if 'TEST_TRANSFER_DIRECTION' in os.environ:
    TRANSFER_DIRECTION = os.environ['TEST_TRANSFER_DIRECTION'].lower()
else:
    TRANSFER_DIRECTION = 'keras2pytorch'


class TransferTestCase(object):
    def assertEqualPrediction(
            self, keras_model, pytorch_model, test_data, delta=1e-6):

        # Make sure the pytorch model is in evaluation mode (i.e. no dropout)
        pytorch_model.eval()

        test_data = test_data.astype(np.float32, copy=False)
        test_data_tensor = Variable(
            torch.from_numpy(test_data),
            requires_grad=False)

        keras_prediction = keras_model.predict(test_data)
        pytorch_prediction = pytorch_model(test_data_tensor).data.numpy()

        self.assertEqual(keras_prediction.shape, pytorch_prediction.shape)
        for v1, v2 in zip(keras_prediction.flatten(),
                          pytorch_prediction.flatten()):
            self.assertAlmostEqual(v1, v2, delta=delta)
        return keras_prediction, pytorch_prediction

    def is_keras_to_pytorch(self):
        return TRANSFER_DIRECTION == 'keras2pytorch'

    def transfer(self, keras_model, pytorch_model, verbose=False):
        if self.is_keras_to_pytorch():
            transfer.keras_to_pytorch(keras_model,
                                      pytorch_model,
                                      verbose=verbose)
        else:
            transfer.pytorch_to_keras(pytorch_model,
                                      keras_model,
                                      verbose=verbose)


class BatchNet(nn.Module):
    def __init__(self):
        super(BatchNet, self).__init__()
        self.bn = nn.BatchNorm3d(3)

    def forward(self, x):
        return self.bn(x)


class TestLayers(TransferTestCase, unittest.TestCase):

    def setUp(self):
        self.test_data = np.random.rand(2, 3, 32, 32)
        self.test_data_3d = np.random.rand(2, 3, 8, 8, 8)

    def test_batch_normalization(self):
        keras_model = Sequential()
        keras_model.add(
            BatchNormalization(input_shape=(3, 32, 32), axis=1, name='bn'))
        keras_model.compile(loss=keras.losses.categorical_crossentropy,
                            optimizer=keras.optimizers.SGD())

        pytorch_model = BatchNet()

        self.transfer(keras_model, pytorch_model)
        self.assertEqualPrediction(
            keras_model, pytorch_model, self.test_data, 1e-3)


if __name__ == '__main__':
    unittest.main()
