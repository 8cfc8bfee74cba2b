import argparse
import re

import torch
import torch.nn as nn
from transformers import BertModel, BertTokenizer


class CNNOD(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1024, 1024, kernel_size=7, stride=1, padding=3)
        self.norm1 = nn.BatchNorm1d(1024)
        self.conv2 = nn.Conv1d(1024, 128, kernel_size=5, stride=1, padding=2)
        self.norm2 = nn.BatchNorm1d(128)
        self.conv4 = nn.Conv1d(128, 2, kernel_size=5, stride=1, padding=2)
        self.head = nn.Softmax(-1)
        self.act = nn.ReLU()

    def forward(self, x):
        x = x.permute(0, 2, 1)
        x = self.act(self.norm1(self.conv1(x)))
        x = self.act(self.norm2(self.conv2(x)))
        x = self.conv4(x).permute(0, 2, 1)
        return self.head(x)


parse = argparse.ArgumentParser()
parse.add_argument("--ligand", "-l", type=str, default="DNA", choices=["DNA", "RNA", "AB"])
parse.add_argument("--threshold", "-t", type=float, default=0.5)
parse.add_argument("--input", "-i", required=True)
args = parse.parse_args()

seqs = [line.strip() for line in open(args.input) if not line.startswith(">")]
tokenizer = BertTokenizer.from_pretrained("Rostlab/prot_bert", do_lower_case=False)
pretrain_model = BertModel.from_pretrained("Rostlab/prot_bert")


def get_protein_features(seq):
    encoded_input = tokenizer(re.sub(r"[UZOB]", "X", " ".join(seq)), return_tensors="pt")
    return pretrain_model(**encoded_input).last_hidden_state.squeeze(0)[1:-1, :].detach()


features = [get_protein_features(s).unsqueeze(0) for s in seqs]

predictor = CNNOD()
predictor.load_state_dict(torch.load(f"./weights/{args.ligand}.pth"))

results = []
for f in features:
    out = predictor(f).squeeze(0).detach().numpy()[:, 1]
    results.append("".join(str(1) if x > args.threshold else str(0) for x in out))
print("\n".join(results))
