class Test:
    def __init__(self, model, data_loader, criterion):
        self.model = model
        self.data_loader = data_loader
        self.criterion = criterion

    def run_epoch(self):
        self.model.eval()
        epoch_loss = 0.0
        for inputs, labels in self.data_loader:
            outputs = self.model(inputs)
            loss = self.criterion(outputs, labels)
            epoch_loss += loss.item()
        return epoch_loss / len(self.data_loader)
