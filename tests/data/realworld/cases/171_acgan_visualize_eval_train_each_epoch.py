import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

import utils
from dataloader import dataloader
from networks import discriminator, generator


class ACGAN(object):
    def __init__(self, args):
        self.epoch = args.epoch
        self.batch_size = args.batch_size
        self.result_dir = args.result_dir
        self.z_dim = 62
        self.class_num = 10
        self.data_loader = dataloader(args.dataset, args.input_size, self.batch_size)
        self.G = generator(input_dim=self.z_dim, output_dim=1, input_size=args.input_size)
        self.D = discriminator(input_dim=1, output_dim=1, input_size=args.input_size)
        self.G_optimizer = optim.Adam(self.G.parameters(), lr=args.lrG, betas=(args.beta1, args.beta2))
        self.D_optimizer = optim.Adam(self.D.parameters(), lr=args.lrD, betas=(args.beta1, args.beta2))
        self.BCE_loss = nn.BCELoss()
        self.sample_z_ = torch.rand((self.class_num ** 2, self.z_dim))
        self.sample_y_ = torch.eye(self.class_num).repeat_interleave(self.class_num, 0)

    def train(self):
        y_real_, y_fake_ = torch.ones(self.batch_size, 1), torch.zeros(self.batch_size, 1)
        self.D.train()
        start_time = time.time()
        for epoch in range(self.epoch):
            self.G.train()
            for iter, (x_, y_) in enumerate(self.data_loader):
                z_ = torch.rand((self.batch_size, self.z_dim))
                y_vec_ = torch.zeros((self.batch_size, self.class_num)).scatter_(1, y_.unsqueeze(1), 1)
                self.D_optimizer.zero_grad()
                D_real, C_real = self.D(x_)
                D_fake, C_fake = self.D(self.G(z_, y_vec_))
                D_loss = self.BCE_loss(D_real, y_real_) + self.BCE_loss(D_fake, y_fake_)
                D_loss.backward()
                self.D_optimizer.step()
                self.G_optimizer.zero_grad()
                D_fake, C_fake = self.D(self.G(z_, y_vec_))
                G_loss = self.BCE_loss(D_fake, y_real_)
                G_loss.backward()
                self.G_optimizer.step()
            with torch.no_grad():
                self.visualize_results((epoch + 1))
        print("total time", time.time() - start_time)

    def visualize_results(self, epoch, fix=True):
        self.G.eval()
        samples = self.G(self.sample_z_, self.sample_y_)
        samples = (samples.data.numpy().transpose(0, 2, 3, 1) + 1) / 2
        utils.save_images(samples, [self.class_num, self.class_num],
                          os.path.join(self.result_dir, "ACGAN_epoch%03d.png" % epoch))
