"""DDPG (Lillicrap et al. 2015) with batch normalization, Pendulum-v1.

Ported from an old TensorFlow 1.x implementation, hyper-parameters kept.
"""
import argparse
import copy
import os

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

BN_MOMENTUM = 0.99  # same decay as tf.contrib.layers.batch_norm in the original code


def bn(num_features):
    return nn.BatchNorm1d(num_features, momentum=BN_MOMENTUM)  # expect: BN205


class Actor(nn.Module):
    def __init__(self, state_dim, action_dim, max_action, h1=400, h2=300):
        super().__init__()
        self.bn0 = bn(state_dim)
        self.l1 = nn.Linear(state_dim, h1, bias=False)
        self.bn1 = bn(h1)
        self.l2 = nn.Linear(h1, h2, bias=False)
        self.bn2 = bn(h2)
        self.l3 = nn.Linear(h2, action_dim)
        self.max_action = max_action

    def forward(self, state):
        a = self.bn0(state)
        a = F.relu(self.bn1(self.l1(a)))
        a = F.relu(self.bn2(self.l2(a)))
        return self.max_action * torch.tanh(self.l3(a))


class Critic(nn.Module):
    def __init__(self, state_dim, action_dim):
        super().__init__()
        self.l1 = nn.Linear(state_dim, 400, bias=False)
        self.bn1 = nn.BatchNorm1d(400)
        self.l2 = nn.Linear(400 + action_dim, 300, bias=False)
        self.bn2 = nn.BatchNorm1d(400)  # expect: BN201
        self.l3 = nn.Linear(300, 1)

    def forward(self, state, action):
        q = F.relu(self.bn1(self.l1(state)))
        q = F.relu(self.bn2(self.l2(torch.cat([q, action], 1))))
        return self.l3(q)


class ReplayBuffer:
    def __init__(self, state_dim, action_dim, max_size=int(1e6)):
        self.max_size, self.ptr, self.size = max_size, 0, 0
        self.state = np.zeros((max_size, state_dim), dtype=np.float32)
        self.action = np.zeros((max_size, action_dim), dtype=np.float32)
        self.next_state = np.zeros((max_size, state_dim), dtype=np.float32)
        self.reward = np.zeros((max_size, 1), dtype=np.float32)
        self.not_done = np.zeros((max_size, 1), dtype=np.float32)

    def add(self, s, a, s2, r, done):
        self.state[self.ptr], self.action[self.ptr], self.next_state[self.ptr] = s, a, s2
        self.reward[self.ptr], self.not_done[self.ptr] = r, 1.0 - done
        self.ptr = (self.ptr + 1) % self.max_size
        self.size = min(self.size + 1, self.max_size)

    def sample(self, batch_size):
        ind = np.random.randint(0, self.size, size=batch_size)
        to = lambda x: torch.as_tensor(x[ind], device=device)
        return to(self.state), to(self.action), to(self.next_state), to(self.reward), to(self.not_done)


class DDPG:
    def __init__(self, state_dim, action_dim, max_action, discount=0.99, tau=0.001):
        self.actor = Actor(state_dim, action_dim, max_action).to(device)
        self.actor_target = copy.deepcopy(self.actor)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=1e-4)

        self.critic = Critic(state_dim, action_dim).to(device)
        self.critic_target = copy.deepcopy(self.critic)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=1e-3, weight_decay=1e-2)

        self.discount, self.tau = discount, tau

    def select_action(self, state):
        state = torch.as_tensor(state.reshape(1, -1), dtype=torch.float32, device=device)
        self.actor.eval()
        with torch.no_grad():
            action = self.actor(state).cpu().numpy().flatten()
        self.actor.train()
        return action

    def train(self, replay_buffer, batch_size=64):
        state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)

        with torch.no_grad():
            target_q = self.critic_target(next_state, self.actor_target(next_state))
            target_q = reward + not_done * self.discount * target_q

        current_q = self.critic(state, action)
        critic_loss = F.mse_loss(current_q, target_q)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        actor_loss = -self.critic(state, self.actor(state)).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()

        with torch.no_grad():
            for net, target in ((self.critic, self.critic_target), (self.actor, self.actor_target)):
                for p, tp in zip(net.parameters(), target.parameters()):
                    tp.mul_(1 - self.tau).add_(self.tau * p)
        return critic_loss.item(), actor_loss.item()

    def save(self, filename):
        torch.save(self.critic.state_dict(), filename + "_critic")
        torch.save(self.actor.state_dict(), filename + "_actor")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="Pendulum-v1")
    parser.add_argument("--seed", default=0, type=int)
    parser.add_argument("--start_timesteps", default=10000, type=int)
    parser.add_argument("--max_timesteps", default=300000, type=int)
    parser.add_argument("--expl_noise", default=0.1, type=float)
    parser.add_argument("--batch_size", default=64, type=int)
    args = parser.parse_args()

    env = gym.make(args.env)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    state_dim = env.observation_space.shape[0]
    action_dim = env.action_space.shape[0]
    max_action = float(env.action_space.high[0])

    agent = DDPG(state_dim, action_dim, max_action)
    buffer = ReplayBuffer(state_dim, action_dim)

    state, _ = env.reset(seed=args.seed)
    episode_reward, episode_num = 0.0, 0
    for t in range(args.max_timesteps):
        if t < args.start_timesteps:
            action = env.action_space.sample()
        else:
            noise = np.random.normal(0, max_action * args.expl_noise, size=action_dim)
            action = (agent.select_action(np.array(state)) + noise).clip(-max_action, max_action)

        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.add(state, action, next_state, reward, float(terminated))
        state = next_state
        episode_reward += reward

        if t >= args.start_timesteps:
            agent.train(buffer, args.batch_size)

        if terminated or truncated:
            print(f"t={t + 1} episode {episode_num + 1} reward {episode_reward:.3f}")
            state, _ = env.reset()
            episode_reward, episode_num = 0.0, episode_num + 1

    os.makedirs("models", exist_ok=True)
    agent.save(f"models/DDPG_{args.env}_{args.seed}")


if __name__ == "__main__":
    main()
