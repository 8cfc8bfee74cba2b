"""DQN on CartPole with a BatchNorm'd Q-network and an experience replay buffer.

Port of an old Keras agent; hyperparameters kept from the original.
"""
import copy
import random
from collections import deque, namedtuple

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

Transition = namedtuple("Transition", "state action reward next_state done")

GAMMA = 0.99
BATCH_SIZE = 64
BUFFER_SIZE = 50_000
LR = 5e-4
TARGET_SYNC = 500
EPS_START, EPS_END, EPS_DECAY = 1.0, 0.05, 10_000
NUM_EPISODES = 600


class ReplayBuffer:
    def __init__(self, capacity):
        self.memory = deque(maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        batch = Transition(*zip(*random.sample(self.memory, batch_size)))
        return (torch.as_tensor(np.array(batch.state), dtype=torch.float32),
                torch.as_tensor(batch.action, dtype=torch.int64),
                torch.as_tensor(batch.reward, dtype=torch.float32),
                torch.as_tensor(np.array(batch.next_state), dtype=torch.float32),
                torch.as_tensor(batch.done, dtype=torch.float32))

    def __len__(self):
        return len(self.memory)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(obs_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden, momentum=0.99),  # expect: BN205
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )
        self.q = nn.Linear(hidden, n_actions)

    def forward(self, obs):
        return self.q(self.body(obs))


def epsilon(step):
    return EPS_END + (EPS_START - EPS_END) * np.exp(-step / EPS_DECAY)


def optimize(policy_net, target_net, buffer, optimizer):
    states, actions, rewards, next_states, dones = buffer.sample(BATCH_SIZE)
    policy_net.train()
    q = policy_net(states).gather(1, actions.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        next_q = target_net(next_states).max(dim=1).values
        target = rewards + GAMMA * (1.0 - dones) * next_q
    loss = F.smooth_l1_loss(q, target)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(policy_net.parameters(), 10.0)
    optimizer.step()
    return loss.item()


def main():
    env = gym.make("CartPole-v1")
    obs_dim = env.observation_space.shape[0]
    n_actions = env.action_space.n

    policy_net = QNetwork(obs_dim, n_actions)
    target_net = copy.deepcopy(policy_net)
    target_net.eval()
    optimizer = torch.optim.Adam(policy_net.parameters(), lr=LR)
    buffer = ReplayBuffer(BUFFER_SIZE)

    global_step = 0
    returns = []
    for episode in range(NUM_EPISODES):
        obs, _ = env.reset(seed=episode)
        ep_return, done = 0.0, False
        while not done:
            if random.random() < epsilon(global_step):
                action = env.action_space.sample()
            else:
                with torch.no_grad():
                    q_values = policy_net(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))  # expect: BN101
                action = int(q_values.argmax(dim=1).item())

            next_obs, reward, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
            buffer.push(obs, action, reward, next_obs, float(terminated))
            obs = next_obs
            ep_return += reward
            global_step += 1

            if len(buffer) >= 1_000:
                optimize(policy_net, target_net, buffer, optimizer)
            if global_step % TARGET_SYNC == 0:
                target_net.load_state_dict(policy_net.state_dict())

        returns.append(ep_return)
        if episode % 20 == 0:
            print(f"episode {episode} return(avg20) {np.mean(returns[-20:]):.1f}")

    torch.save(policy_net.state_dict(), "dqn_cartpole.pt")


if __name__ == "__main__":
    main()
