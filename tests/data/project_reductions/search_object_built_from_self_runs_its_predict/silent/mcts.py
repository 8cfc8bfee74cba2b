class Node:
    def __init__(self, state):
        self.state = state
        self.children = []

    def expand(self, model):
        policy, value = model.predict(self.state)
        self.children = list(policy.cpu().numpy())
        return value


class MCTS:
    def __init__(self, model, state):
        self.model = model
        self.root = Node(state)

    def search(self, simulations):
        for _ in range(simulations):
            self.root.expand(self.model)
