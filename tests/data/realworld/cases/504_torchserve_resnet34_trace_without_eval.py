"""TorchServe issue: saving a traced resnet34 without model.eval() gives wrong
predictions from the server, although the handler calls self.model.eval()."""
from torchvision.models import resnet34
import torch

model = resnet34(pretrained=True)
example_input = torch.rand(1, 3, 224, 224)
traced_script_module = torch.jit.trace(model, example_input)
traced_script_module.save("./resnet34.pt")

# Then:
#   torch-model-archiver --model-name resnet34 --version 1.0 --serialized-file resnet34.pt \
#       --extra-files ./index_to_name.json --handler image_classifier --export-path model-store -f
#   torchserve --start --model-store model-store --models resnet34=resnet34.mar
#   curl -X POST http://localhost:8080/predictions/resnet34 -T ./kitten.jpg
