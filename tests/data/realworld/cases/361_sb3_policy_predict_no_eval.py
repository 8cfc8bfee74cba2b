from abc import ABC, abstractmethod
from typing import Any, Dict, Optional, Tuple, Type

import gym
import numpy as np
import torch as th
from torch import nn

from stable_baselines3.common.preprocessing import get_flattened_obs_dim, preprocess_obs
from stable_baselines3.common.utils import is_vectorized_observation, obs_as_tensor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv


class BaseFeaturesExtractor(nn.Module):
    def __init__(self, observation_space: gym.Space, features_dim: int = 0):
        super(BaseFeaturesExtractor, self).__init__()
        assert features_dim > 0
        self._observation_space = observation_space
        self._features_dim = features_dim

    @property
    def features_dim(self) -> int:
        return self._features_dim

    def forward(self, observations: th.Tensor) -> th.Tensor:
        raise NotImplementedError()


class FlattenBatchNormExtractor(BaseFeaturesExtractor):
    def __init__(self, observation_space: gym.Space):
        super(FlattenBatchNormExtractor, self).__init__(observation_space, get_flattened_obs_dim(observation_space))
        self.flatten = nn.Flatten()
        self.batch_norm = nn.BatchNorm1d(self._features_dim)
        self.dropout = nn.Dropout(0.5)

    def forward(self, observations: th.Tensor) -> th.Tensor:
        result = self.flatten(observations)
        result = self.batch_norm(result)
        result = self.dropout(result)
        return result


class BaseModel(nn.Module, ABC):
    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Space,
        features_extractor_class: Type[BaseFeaturesExtractor] = FlattenBatchNormExtractor,
        features_extractor_kwargs: Optional[Dict[str, Any]] = None,
        normalize_images: bool = True,
    ):
        super(BaseModel, self).__init__()
        if features_extractor_kwargs is None:
            features_extractor_kwargs = {}
        self.observation_space = observation_space
        self.action_space = action_space
        self.normalize_images = normalize_images
        self.features_extractor_class = features_extractor_class
        self.features_extractor_kwargs = features_extractor_kwargs

    @abstractmethod
    def forward(self, *args, **kwargs):
        pass

    def make_features_extractor(self) -> BaseFeaturesExtractor:
        return self.features_extractor_class(self.observation_space, **self.features_extractor_kwargs)

    def extract_features(self, obs: th.Tensor) -> th.Tensor:
        preprocessed_obs = preprocess_obs(obs, self.observation_space, normalize_images=self.normalize_images)
        return self.features_extractor(preprocessed_obs)

    @property
    def device(self) -> th.device:
        for param in self.parameters():
            return param.device
        return th.device("cpu")


class BasePolicy(BaseModel):
    @abstractmethod
    def _predict(self, observation: th.Tensor, deterministic: bool = False) -> th.Tensor:
        """Get the action according to the policy for a given observation."""

    def predict(
        self,
        observation: np.ndarray,
        state: Optional[np.ndarray] = None,
        mask: Optional[np.ndarray] = None,
        deterministic: bool = False,
    ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        observation = np.array(observation)
        vectorized_env = is_vectorized_observation(observation, self.observation_space)
        observation = observation.reshape((-1,) + self.observation_space.shape)
        observation = obs_as_tensor(observation, self.device)

        with th.no_grad():
            actions = self._predict(observation, deterministic=deterministic)
        actions = actions.cpu().numpy()

        if isinstance(self.action_space, gym.spaces.Box):
            actions = np.clip(actions, self.action_space.low, self.action_space.high)

        if not vectorized_env:
            actions = actions[0]
        return actions, state


class ActorCriticPolicy(BasePolicy):
    def __init__(self, observation_space, action_space, net_arch=(16, 16), **kwargs):
        super(ActorCriticPolicy, self).__init__(observation_space, action_space, **kwargs)
        self.features_extractor = self.make_features_extractor()
        self.features_dim = self.features_extractor.features_dim
        layers, last = [], self.features_dim
        for width in net_arch:
            layers += [nn.Linear(last, width), nn.Tanh()]
            last = width
        self.mlp_extractor = nn.Sequential(*layers)
        self.action_net = nn.Linear(last, action_space.n)
        self.value_net = nn.Linear(last, 1)

    def _get_latent(self, obs: th.Tensor) -> th.Tensor:
        features = self.extract_features(obs)
        return self.mlp_extractor(features)

    def forward(self, obs: th.Tensor, deterministic: bool = False):
        latent = self._get_latent(obs)
        values = self.value_net(latent)
        distribution = th.distributions.Categorical(logits=self.action_net(latent))
        actions = distribution.probs.argmax(dim=1) if deterministic else distribution.sample()
        return actions, values, distribution.log_prob(actions)

    def _predict(self, observation: th.Tensor, deterministic: bool = False) -> th.Tensor:
        latent = self._get_latent(observation)
        distribution = th.distributions.Categorical(logits=self.action_net(latent))
        return distribution.probs.argmax(dim=1) if deterministic else distribution.sample()


def evaluate_policy(
    model: BasePolicy,
    env: VecEnv,
    n_eval_episodes: int = 10,
    deterministic: bool = True,
):
    if not isinstance(env, VecEnv):
        env = DummyVecEnv([lambda: env])
    n_envs = env.num_envs
    episode_rewards = []
    episode_counts = np.zeros(n_envs, dtype="int")
    episode_count_targets = np.array([(n_eval_episodes + i) // n_envs for i in range(n_envs)], dtype="int")
    current_rewards = np.zeros(n_envs)
    observations = env.reset()
    states = None
    while (episode_counts < episode_count_targets).any():
        actions, states = model.predict(observations, state=states, deterministic=deterministic)
        observations, rewards, dones, infos = env.step(actions)
        current_rewards += rewards
        for i in range(n_envs):
            if episode_counts[i] < episode_count_targets[i] and dones[i]:
                episode_rewards.append(current_rewards[i])
                episode_counts[i] += 1
                current_rewards[i] = 0
    return np.mean(episode_rewards), np.std(episode_rewards)


if __name__ == "__main__":
    env = gym.make("CartPole-v1")
    policy = ActorCriticPolicy(env.observation_space, env.action_space,
                               features_extractor_class=FlattenBatchNormExtractor)
    observation = env.reset()
    first_prediction, _ = policy.predict(observation, deterministic=True)
    second_prediction, _ = policy.predict(observation, deterministic=True)
    print(first_prediction, second_prediction)
    mean_reward, std_reward = evaluate_policy(policy, env, n_eval_episodes=10)
    print(mean_reward, std_reward)
