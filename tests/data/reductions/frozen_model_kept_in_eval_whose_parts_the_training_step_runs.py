import torch
from conette import CoNeTTEConfig, CoNeTTEModel


def train(student, loader, num_epochs, lr):
    for p in student.parameters():
        p.requires_grad = False
    decoder_params = list(student.model.decoder.parameters())
    for p in decoder_params:
        p.requires_grad = True
    optimizer = torch.optim.AdamW(decoder_params, lr=lr)
    for epoch in range(num_epochs):
        student.eval()
        for raw_batch in loader:
            loss = student.model(student.preprocessor(raw_batch))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()


def main():
    path = "models/baseline/"
    student = CoNeTTEModel.from_pretrained(path, config=CoNeTTEConfig.from_pretrained(path))
    train(student, [], 10, 1e-4)


if __name__ == "__main__":
    main()
