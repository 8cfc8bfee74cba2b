import models
import torch as t
from torch.autograd import Variable
from torch.utils.data import DataLoader
from torchnet import meter

from config import opt
from data.dataset import DogCat


def val(model, dataloader):
    """
    计算模型在验证集上的准确率等信息
    """
    model.eval()
    confusion_matrix = meter.ConfusionMeter(2)
    for ii, (val_input, label) in enumerate(dataloader):
        val_input = Variable(val_input, volatile=True)
        if opt.use_gpu:
            val_input = val_input.cuda()
        score = model(val_input)
        confusion_matrix.add(score.data.squeeze(), label.type(t.LongTensor))
    model.train()
    cm_value = confusion_matrix.value()
    accuracy = 100. * (cm_value[0][0] + cm_value[1][1]) / (cm_value.sum())
    return confusion_matrix, accuracy


def train(**kwargs):
    opt.parse(kwargs)
    # step1: configure model (ResNet34 with BatchNorm by default)
    model = getattr(models, opt.model)()
    if opt.load_model_path:
        model.load(opt.load_model_path)
    if opt.use_gpu:
        model.cuda()
    train_dataloader = DataLoader(DogCat(opt.train_data_root, train=True), opt.batch_size, shuffle=True)
    val_dataloader = DataLoader(DogCat(opt.train_data_root, train=False), opt.batch_size, shuffle=False)
    criterion = t.nn.CrossEntropyLoss()
    optimizer = t.optim.Adam(model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay)
    for epoch in range(opt.max_epoch):
        for ii, (data, label) in enumerate(train_dataloader):
            input, target = Variable(data), Variable(label)
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            loss.backward()
            optimizer.step()
        val_cm, val_accuracy = val(model, val_dataloader)
        print(epoch, val_accuracy)


if __name__ == "__main__":
    import fire
    fire.Fire()
