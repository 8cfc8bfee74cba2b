class Metric:
    def __init__(self):
        self.evaluator = None
        self.correct = 0

    def register(self, evaluator):
        self.evaluator = evaluator

    def update(self, output, target):
        self.correct += (output.argmax(1) == target).sum().item()
