# PyTorch BatchNorm2d vs tf.keras BatchNormalization after one training update.
# Moving means match; moving variances differ by n/(n-1) (unbiased vs biased?).
import numpy as np
import tensorflow as tf
import torch
import torch.nn as nn

KERAS_MOMENTUM = 0.99
EPS = 1e-3
C = 8

np.random.seed(0)
x = np.random.randn(16, 5, 5, C).astype("float32")  # NHWC for keras
xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NCHW for torch

k_bn = tf.keras.layers.BatchNormalization(momentum=KERAS_MOMENTUM, epsilon=EPS)
k_bn(x, training=True)

# torch momentum is the weight of the *new* observation -> 1 - keras momentum
t_bn = nn.BatchNorm2d(C, eps=EPS, momentum=1 - KERAS_MOMENTUM)
t_bn.train()
t_bn(xt)

np.testing.assert_allclose(t_bn.running_mean.numpy(), k_bn.moving_mean.numpy(), rtol=1e-5, atol=1e-6)
ratio = t_bn.running_var.numpy() / k_bn.moving_variance.numpy()
print("running_var ratio torch/keras:", ratio)

t_bn.eval()
with torch.no_grad():
    t_eval = t_bn(xt).permute(0, 2, 3, 1).numpy()
k_eval = k_bn(x, training=False).numpy()
print("eval max abs diff:", np.abs(t_eval - k_eval).max())
