from analysis import assign_domains
from solver import Solver


def main(loaders, epochs):
    solver = Solver(loaders)
    for epoch in range(epochs):
        solver.train_epoch()
    print(assign_domains(solver, loaders["val"]).bincount())
