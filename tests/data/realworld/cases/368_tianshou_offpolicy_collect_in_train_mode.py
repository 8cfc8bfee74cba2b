import time
from copy import deepcopy
from typing import Callable, Dict, List, Optional, Union

import gym
import numpy as np
import torch
from torch import nn

from tianshou.data import Batch, ReplayBuffer, to_numpy
from tianshou.env import DummyVectorEnv
from tianshou.exploration import GaussianNoise


class Net(nn.Module):
    def __init__(self, layer_num, state_shape, device='cpu', hidden_layer_size=128):
        super().__init__()
        self.device = device
        model = [nn.Linear(np.prod(state_shape), hidden_layer_size), nn.ReLU(inplace=True),
                 nn.BatchNorm1d(hidden_layer_size, track_running_stats=True)]
        for i in range(layer_num):
            model += [nn.Linear(hidden_layer_size, hidden_layer_size), nn.ReLU(inplace=True),
                      nn.BatchNorm1d(hidden_layer_size, track_running_stats=True)]
        self.model = nn.Sequential(*model)

    def forward(self, s, state=None, info={}):
        s = torch.as_tensor(s, device=self.device, dtype=torch.float32)
        s = s.view(s.shape[0], -1)
        logits = self.model(s)
        return logits, state


class Actor(nn.Module):
    def __init__(self, preprocess_net, action_shape, max_action, device='cpu', hidden_layer_size=128):
        super().__init__()
        self.preprocess = preprocess_net
        self.last = nn.Linear(hidden_layer_size, np.prod(action_shape))
        self._max = max_action

    def forward(self, s, state=None, info={}):
        logits, h = self.preprocess(s, state)
        logits = self._max * torch.tanh(self.last(logits))
        return logits, h


class DDPGPolicy(nn.Module):
    def __init__(self, actor, actor_optim, critic, critic_optim, action_range, tau=0.005, gamma=0.99,
                 exploration_noise=GaussianNoise(sigma=0.1)):
        super().__init__()
        self.actor, self.actor_old = actor, deepcopy(actor)
        self.actor_old.eval()
        self.actor_optim = actor_optim
        self.critic, self.critic_old = critic, deepcopy(critic)
        self.critic_old.eval()
        self.critic_optim = critic_optim
        self._tau, self._gamma = tau, gamma
        self._noise = exploration_noise
        self._range = action_range

    def forward(self, batch, state=None, model='actor', input='obs', explorating=True, **kwargs):
        model = getattr(self, model)
        obs = getattr(batch, input)
        actions, h = model(obs, state=state, info=batch.info)
        if self.training and explorating:
            actions = actions + torch.tensor(self._noise(actions.shape), device=actions.device)
        actions = actions.clamp(self._range[0], self._range[1])
        return Batch(act=actions, state=h)

    def learn(self, batch, **kwargs):
        current_q = self.critic(batch.obs, batch.act).flatten()
        target_q = torch.as_tensor(batch.returns, dtype=torch.float32).flatten()
        critic_loss = torch.nn.functional.mse_loss(current_q, target_q)
        self.critic_optim.zero_grad()
        critic_loss.backward()
        self.critic_optim.step()
        action = self(batch, explorating=False).act
        actor_loss = -self.critic(batch.obs, action).mean()
        self.actor_optim.zero_grad()
        actor_loss.backward()
        self.actor_optim.step()
        return {'loss/actor': actor_loss.item(), 'loss/critic': critic_loss.item()}

    def update(self, batch_size, buffer):
        batch, indice = buffer.sample(batch_size)
        return self.learn(batch)


class Collector(object):
    def __init__(self, policy, env, buffer=None):
        self.env = env
        self.env_num = len(env)
        self.buffer = buffer
        self.policy = policy
        self.reset()

    def reset(self):
        self.data = Batch(state={}, obs={}, act={}, rew={}, done={}, info={}, obs_next={}, policy={})
        self.reset_env()

    def reset_env(self):
        self.data.obs = self.env.reset()

    def reset_buffer(self):
        if self.buffer is not None:
            self.buffer.reset()

    def get_env_num(self):
        return self.env_num

    def collect(self, n_step=None, n_episode=None, random=False):
        start_time = time.time()
        step_count = 0
        episode_count = np.zeros(self.env_num)
        reward_total = 0.0
        while True:
            last_state = self.data.state
            if isinstance(last_state, Batch) and last_state.is_empty():
                last_state = None
            self.data.update(state=Batch(), obs_next=Batch(), policy=Batch())

            # calculate the next action
            if random:
                result = Batch(act=[self.env.action_space[i].sample() for i in range(self.env_num)])
            else:
                with torch.no_grad():
                    result = self.policy(self.data, last_state)

            self.data.act = to_numpy(result.act)

            # step in env
            obs_next, rew, done, info = self.env.step(self.data.act)
            self.data.update(obs_next=obs_next, rew=rew, done=done, info=info)
            if self.buffer is not None:
                for i in range(self.env_num):
                    self.buffer.add(**self.data[i])
            step_count += self.env_num
            for i in np.where(done)[0]:
                episode_count[i] += 1
                reward_total += np.sum(rew[i])
            if sum(done):
                obs_next = self.env.reset(np.where(done)[0])
            self.data.obs = obs_next
            if n_episode and np.sum(episode_count) >= n_episode:
                break
            if n_step and step_count >= n_step:
                break
        duration = max(time.time() - start_time, 1e-9)
        n_episode = max(np.sum(episode_count), 1)
        return {'n/ep': n_episode, 'n/st': step_count, 'v/st': step_count / duration,
                'rew': reward_total / n_episode}


def test_episode(policy, collector, test_fn, epoch, n_episode):
    """A simple wrapper of testing policy in collector."""
    collector.reset_env()
    collector.reset_buffer()
    policy.eval()
    if test_fn:
        test_fn(epoch)
    return collector.collect(n_episode=n_episode)


def offpolicy_trainer(
        policy, train_collector, test_collector, max_epoch: int, step_per_epoch: int,
        collect_per_step: int, episode_per_test: Union[int, List[int]], batch_size: int,
        update_per_step: int = 1, train_fn: Optional[Callable[[int], None]] = None,
        test_fn: Optional[Callable[[int], None]] = None,
        stop_fn: Optional[Callable[[float], bool]] = None,
        test_in_train: bool = True) -> Dict[str, Union[float, str]]:
    global_step = 0
    best_epoch, best_reward = -1, -1.
    test_in_train = test_in_train and train_collector.policy == policy
    for epoch in range(1, 1 + max_epoch):
        # train
        policy.train()
        if train_fn:
            train_fn(epoch)
        n = 0
        while n < step_per_epoch:
            result = train_collector.collect(n_step=collect_per_step)
            if test_in_train and stop_fn and stop_fn(result['rew']):
                test_result = test_episode(policy, test_collector, test_fn, epoch, episode_per_test)
                if stop_fn and stop_fn(test_result['rew']):
                    return {'best_reward': test_result['rew']}
                else:
                    policy.train()
                    if train_fn:
                        train_fn(epoch)
            for i in range(update_per_step * min(result['n/st'] // collect_per_step, step_per_epoch - n)):
                global_step += collect_per_step
                losses = policy.update(batch_size, train_collector.buffer)
                n += 1
        # test
        result = test_episode(policy, test_collector, test_fn, epoch, episode_per_test)
        if best_epoch == -1 or best_reward < result['rew']:
            best_reward = result['rew']
            best_epoch = epoch
        print(f'Epoch #{epoch}: test_reward: {result["rew"]:.6f}, best_reward: {best_reward:.6f} in #{best_epoch}')
        if stop_fn and stop_fn(best_reward):
            break
    return {'best_reward': best_reward, 'best_epoch': best_epoch}


class Critic(nn.Module):
    def __init__(self, preprocess_net, device='cpu', hidden_layer_size=128):
        super().__init__()
        self.device = device
        self.preprocess = preprocess_net
        self.last = nn.Linear(hidden_layer_size, 1)

    def forward(self, s, a=None, info={}):
        s = torch.as_tensor(s, device=self.device, dtype=torch.float32)
        a = torch.as_tensor(a, device=self.device, dtype=torch.float32)
        s = torch.cat([s.flatten(1), a.flatten(1)], dim=1)
        logits, h = self.preprocess(s)
        return self.last(logits)


if __name__ == '__main__':
    env = gym.make('Pendulum-v0')
    state_shape = env.observation_space.shape or env.observation_space.n
    action_shape = env.action_space.shape or env.action_space.n
    max_action = env.action_space.high[0]
    train_envs = DummyVectorEnv([lambda: gym.make('Pendulum-v0') for _ in range(8)])
    test_envs = DummyVectorEnv([lambda: gym.make('Pendulum-v0') for _ in range(100)])
    net = Net(1, state_shape)
    actor = Actor(net, action_shape, max_action)
    actor_optim = torch.optim.Adam(actor.parameters(), lr=1e-4)
    net = Net(1, np.prod(state_shape) + np.prod(action_shape))
    critic = Critic(net)
    critic_optim = torch.optim.Adam(critic.parameters(), lr=1e-3)
    policy = DDPGPolicy(actor, actor_optim, critic, critic_optim,
                        action_range=[env.action_space.low[0], env.action_space.high[0]])
    train_collector = Collector(policy, train_envs, ReplayBuffer(20000))
    test_collector = Collector(policy, test_envs)
    result = offpolicy_trainer(
        policy, train_collector, test_collector, max_epoch=20, step_per_epoch=2400,
        collect_per_step=4, episode_per_test=100, batch_size=128,
        stop_fn=lambda x: x >= -250)
    print(result)
