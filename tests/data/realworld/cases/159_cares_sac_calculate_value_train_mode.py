import copy
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F


@contextmanager
def evaluating(model):
    """Temporarily switch to evaluation mode."""
    istrain = model.training
    try:
        model.eval()
        yield model
    finally:
        if istrain:
            model.train()


class SAC:
    def __init__(self, actor_network, critic_network, config, device):
        self.device = device
        self.actor_net = actor_network.to(self.device)
        self.critic_net = critic_network.to(self.device)
        self.target_critic_net = copy.deepcopy(self.critic_net).to(self.device)
        self.target_critic_net.eval()  # never in training mode - helps with batch/drop out layers
        self.gamma = config.gamma
        self.critic_net_optimiser = torch.optim.Adam(self.critic_net.parameters(), lr=config.critic_lr)

    def select_action_from_policy(self, state, evaluation=False):
        self.actor_net.eval()
        with torch.no_grad():
            state_tensor = torch.FloatTensor(state).to(self.device).unsqueeze(0)
            if evaluation:
                (_, _, action) = self.actor_net(state_tensor)
            else:
                (action, _, _) = self.actor_net(state_tensor)
            action = action.cpu().data.numpy().flatten()
        self.actor_net.train()
        return action

    def _calculate_value(self, state, action):
        state_tensor = torch.FloatTensor(state).to(self.device).unsqueeze(0)
        action_tensor = torch.FloatTensor(action).to(self.device).unsqueeze(0)
        q_values_one, q_values_two = self.critic_net(state_tensor, action_tensor)
        q_value = torch.minimum(q_values_one, q_values_two)
        return q_value[0].item()

    def _update_critic(self, states, actions, rewards, next_states, dones):
        with torch.no_grad():
            with evaluating(self.actor_net):
                next_actions, next_log_pi, _ = self.actor_net(next_states)
            target_one, target_two = self.target_critic_net(next_states, next_actions)
            q_target = rewards + self.gamma * (1 - dones) * torch.minimum(target_one, target_two)
        q_one, q_two = self.critic_net(states, actions)
        loss = F.mse_loss(q_one, q_target) + F.mse_loss(q_two, q_target)
        self.critic_net_optimiser.zero_grad()
        loss.backward()
        self.critic_net_optimiser.step()

    def episode_bias(self, states, actions, returns):
        values = [self._calculate_value(s, a) for s, a in zip(states, actions)]
        return float(np.mean(np.array(values) - np.array(returns)))
