import torch
import torch.nn as nn

from common.generators import ChunkedGenerator, UnchunkedGenerator
from common.loss import mpjpe
from common.model import TemporalModel, TemporalModelOptimized1f


def run(args, poses_train_2d, poses_train, poses_valid_2d, poses_valid, filter_widths, num_joints):
    model_pos_train = TemporalModelOptimized1f(17, 2, num_joints, filter_widths=filter_widths,
                                               causal=args.causal, dropout=args.dropout, channels=args.channels)
    model_pos = TemporalModel(17, 2, num_joints, filter_widths=filter_widths, causal=args.causal,
                              dropout=args.dropout, channels=args.channels)
    if torch.cuda.is_available():
        model_pos = model_pos.cuda()
        model_pos_train = model_pos_train.cuda()
    optimizer = torch.optim.Adam(model_pos_train.parameters(), lr=args.learning_rate, amsgrad=True)
    train_generator = ChunkedGenerator(args.batch_size // args.stride, None, poses_train, poses_train_2d,
                                       args.stride, shuffle=True)
    test_generator = UnchunkedGenerator(None, poses_valid, poses_valid_2d)
    epoch = 0
    while epoch < args.epochs:
        model_pos_train.train()
        for _, batch_3d, batch_2d in train_generator.next_epoch():
            inputs_3d = torch.from_numpy(batch_3d.astype("float32"))
            inputs_2d = torch.from_numpy(batch_2d.astype("float32"))
            inputs_3d[:, :, 0] = 0
            optimizer.zero_grad()
            loss_3d_pos = mpjpe(model_pos_train(inputs_2d), inputs_3d)
            loss_3d_pos.backward()
            optimizer.step()

        # End-of-epoch evaluation on a separate model that receives the trained weights
        with torch.no_grad():
            model_pos.load_state_dict(model_pos_train.state_dict())
            model_pos.eval()
            epoch_loss_3d_valid, N = 0, 0
            for cam, batch, batch_2d in test_generator.next_epoch():
                inputs_3d = torch.from_numpy(batch.astype("float32"))
                inputs_2d = torch.from_numpy(batch_2d.astype("float32"))
                inputs_3d[:, :, 0] = 0
                predicted_3d_pos = model_pos(inputs_2d)
                epoch_loss_3d_valid += inputs_3d.shape[0] * inputs_3d.shape[1] * mpjpe(predicted_3d_pos, inputs_3d).item()
                N += inputs_3d.shape[0] * inputs_3d.shape[1]
        print("[%d] 3d_valid %f" % (epoch + 1, epoch_loss_3d_valid / N * 1000))
        epoch += 1
        # Decay BatchNorm momentum
        momentum = args.initial_momentum * (args.final_momentum / args.initial_momentum) ** (epoch / args.epochs)
        model_pos_train.set_bn_momentum(momentum)
