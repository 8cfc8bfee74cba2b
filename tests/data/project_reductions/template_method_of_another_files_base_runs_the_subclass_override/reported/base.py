class Evaluation:
    def __init__(self, pairs):
        self._pairs = pairs

    def evaluate(self):
        distances = self._calculate_distances()
        print(distances.mean())

    def _calculate_distances(self):
        raise NotImplementedError()
