# Static quantization tutorial (pytorch/tutorials), current QAT section: fuse_modules_qat for the
# training-mode model, fuse_modules only after eval(), convert on qat_model.eval().
import torch
import torch.nn as nn
from torch.ao.quantization import QuantStub, DeQuantStub


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super(ConvBNReLU, self).__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes, momentum=0.1),
            nn.ReLU(inplace=False),
        )


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000):
        super(MobileNetV2, self).__init__()
        self.features = nn.Sequential(
            ConvBNReLU(3, 32, stride=2),
            ConvBNReLU(32, 32, stride=1, groups=32),
            ConvBNReLU(32, 1280, kernel_size=1),
        )
        self.quant = QuantStub()
        self.dequant = DeQuantStub()
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.quant(x)
        x = self.features(x)
        x = x.mean([2, 3])
        x = self.classifier(x)
        return self.dequant(x)

    # Fuse Conv+BN and Conv+BN+Relu modules prior to quantization
    def fuse_model(self, is_qat=False):
        fuse_modules = torch.ao.quantization.fuse_modules_qat if is_qat else torch.ao.quantization.fuse_modules
        for m in self.modules():
            if type(m) == ConvBNReLU:
                fuse_modules(m, ['0', '1', '2'], inplace=True)


def load_model(model_file):
    model = MobileNetV2()
    state_dict = torch.load(model_file)
    model.load_state_dict(state_dict)
    model.to('cpu')
    return model


def train_one_epoch(model, criterion, optimizer, data_loader, ntrain_batches):
    model.train()
    cnt = 0
    for image, target in data_loader:
        cnt += 1
        output = model(image)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if cnt >= ntrain_batches:
            return


def evaluate(model, criterion, data_loader, neval_batches):
    model.eval()
    correct = 0
    with torch.no_grad():
        for cnt, (image, target) in enumerate(data_loader):
            output = model(image)
            correct += (output.argmax(1) == target).sum().item()
            if cnt + 1 >= neval_batches:
                break
    return correct


def run(saved_model_dir, float_model_file, data_loader, data_loader_test):
    criterion = nn.CrossEntropyLoss()

    float_model = load_model(saved_model_dir + float_model_file).to('cpu')
    float_model.eval()
    float_model.fuse_model()
    evaluate(float_model, criterion, data_loader_test, neval_batches=1000)

    # Quantization-aware training
    qat_model = load_model(saved_model_dir + float_model_file)
    qat_model.fuse_model(is_qat=True)

    optimizer = torch.optim.SGD(qat_model.parameters(), lr=0.0001)
    qat_model.qconfig = torch.ao.quantization.get_default_qat_qconfig('x86')
    torch.ao.quantization.prepare_qat(qat_model, inplace=True)

    for nepoch in range(8):
        train_one_epoch(qat_model, criterion, optimizer, data_loader, 20)
        if nepoch > 3:
            qat_model.apply(torch.ao.quantization.disable_observer)
        if nepoch > 2:
            qat_model.apply(torch.nn.intrinsic.qat.freeze_bn_stats)
        quantized_model = torch.ao.quantization.convert(qat_model.eval(), inplace=False)
        quantized_model.eval()
        evaluate(quantized_model, criterion, data_loader_test, neval_batches=1000)
