import torch
import utils

if __name__ == '__main__':
    testloader = torch.utils.data.DataLoader(make_dataset(), batch_size=4)
    model = utils.get_model('Proposed', 19)
    for images, masks in testloader:
        with torch.no_grad():
            masks_pred = model(images).argmax(1)
