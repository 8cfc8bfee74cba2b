import torch

from network import CoILModel


def execute(dataset, cfg):
    data_loader = torch.utils.data.DataLoader(dataset, batch_size=120, shuffle=False)
    model = CoILModel(cfg.MODEL_TYPE, cfg.MODEL_CONFIGURATION)
    model.cuda()
    while True:
        checkpoint = torch.load('x.pth')
        model.load_state_dict(checkpoint['state_dict'])
        for data in data_loader:
            input_data, float_data = data
            output = model.forward_branch(input_data, float_data, float_data)
            print(output[0].data.tolist())
