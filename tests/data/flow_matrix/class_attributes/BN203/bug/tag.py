import torch

from model import TokenTagger

tagger = TokenTagger()
print(tagger(torch.randint(0, 20000, (4, 50))).shape)
