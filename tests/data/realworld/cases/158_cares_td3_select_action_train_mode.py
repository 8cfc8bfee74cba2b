import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Actor(nn.Module):
    def __init__(self, observation_size, num_actions):
        super().__init__()
        self.h_linear_1 = nn.Linear(observation_size, 256)
        self.bn1 = nn.BatchNorm1d(256)
        self.h_linear_2 = nn.Linear(256, num_actions)

    def forward(self, state):
        return torch.tanh(self.h_linear_2(F.relu(self.bn1(self.h_linear_1(state)))))


class TD3:
    def __init__(self, actor_network, critic_network, gamma, tau, action_num, device):
        self.type = "policy"
        self.actor_net = actor_network.to(device)
        self.critic_net = critic_network.to(device)
        self.target_actor_net = copy.deepcopy(self.actor_net).to(device)
        self.target_critic_net = copy.deepcopy(self.critic_net).to(device)
        self.gamma = gamma
        self.tau = tau
        self.action_num = action_num
        self.device = device
        self.actor_net_optimiser = torch.optim.Adam(self.actor_net.parameters(), lr=1e-4)

    def select_action_from_policy(self, state, evaluation=False):
        with torch.no_grad():
            state_tensor = torch.FloatTensor(state).to(self.device)
            state_tensor = state_tensor.unsqueeze(0)
            action = self.actor_net(state_tensor)
            action = action.cpu().data.numpy().flatten()
            if not evaluation:
                # this is part the TD3 too, add noise to the action
                noise = np.random.normal(0, scale=0.10, size=self.action_num)
                action = np.clip(action + noise, -1, 1)
        return action

    def train_policy(self, experiences):
        states, actions, rewards, next_states, dones = experiences
        states = torch.FloatTensor(np.asarray(states)).to(self.device)
        actor_q, _ = self.critic_net(states, self.actor_net(states))
        actor_loss = -actor_q.mean()
        self.actor_net_optimiser.zero_grad()
        actor_loss.backward()
        self.actor_net_optimiser.step()


def train_loop(env, agent, memory, max_steps, batch_size=32):
    state = env.reset()
    for step in range(max_steps):
        action = agent.select_action_from_policy(state)
        next_state, reward, done, _ = env.step(action)
        memory.add(state, action, reward, next_state, done)
        if len(memory) > batch_size:
            agent.train_policy(memory.sample(batch_size))
        state = env.reset() if done else next_state
