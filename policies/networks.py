"""A Stable-Baselines3 actor-critic whose actor is one small network shared by all zones.

A hotel has a hundred rooms that want the same *rule* applied to different inputs. A flat
MLP over the whole observation has to learn that rule once per room; sharing one
per-zone network (the zone's features plus the global context in, the zone's four
commands out) learns it once from every room at the same time, and works for any
number of zones. The critic embeds every zone with a shared network, averages the
embeddings (the value of the whole hotel) and adds the global context.
"""

from __future__ import annotations

from typing import Any

import torch as th
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn


class ZoneExtractor(nn.Module):
    """Per-zone actor and pooled critic over the zone-major observation layout."""

    def __init__(self, n_zones: int, f_zone: int, f_global: int, n_act: int, hidden: int) -> None:
        super().__init__()
        self.n_zones, self.f_zone, self.f_global, self.n_act = n_zones, f_zone, f_global, n_act
        self.latent_dim_pi = n_zones * n_act
        self.latent_dim_vf = hidden
        width = f_zone + f_global
        self.actor = nn.Sequential(
            nn.Linear(width, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, n_act),
        )  # fmt: skip
        self.critic_zone = nn.Sequential(
            nn.Linear(width, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.critic_head = nn.Sequential(nn.Linear(hidden + f_global, hidden), nn.Tanh())

    def _per_zone(self, x: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        n = self.n_zones * self.f_zone
        zones = x[:, :n].reshape(-1, self.n_zones, self.f_zone)
        glob = x[:, n:]
        ctx = glob.unsqueeze(1).expand(-1, self.n_zones, -1)
        return th.cat([zones, ctx], dim=2), glob

    def forward_actor(self, features: th.Tensor) -> th.Tensor:
        """Mean action of every zone, flattened zone-major like the action space."""
        per, _ = self._per_zone(features)
        return self.actor(per).reshape(features.shape[0], -1)

    def forward_critic(self, features: th.Tensor) -> th.Tensor:
        """Value features of the whole building."""
        per, glob = self._per_zone(features)
        pooled = self.critic_zone(per).mean(dim=1)
        return self.critic_head(th.cat([pooled, glob], dim=1))

    def forward(self, features: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        """Both latents (SB3's mlp_extractor interface)."""
        return self.forward_actor(features), self.forward_critic(features)


class ZonePolicy(ActorCriticPolicy):
    """SB3 actor-critic policy with :class:`ZoneExtractor` (no extra action layer)."""

    def __init__(
        self,
        *args: Any,
        n_zones: int,
        f_zone: int,
        f_global: int,
        n_act: int = 4,
        hidden: int = 64,
        **kwargs: Any,
    ) -> None:
        self.zone_shape = {
            "n_zones": n_zones, "f_zone": f_zone, "f_global": f_global, "n_act": n_act,
            "hidden": hidden,
        }  # fmt: skip
        super().__init__(*args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        # SB3 only needs the extractor's latent sizes and forward_actor/forward_critic.
        self.mlp_extractor = ZoneExtractor(**self.zone_shape)  # type: ignore[assignment]

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        # The per-zone actor already outputs the action means; start them near zero so the
        # first policy is the base (or mid-range) action plus exploration noise.
        self.action_net = nn.Identity()
        extractor: Any = self.mlp_extractor
        last = extractor.actor[-1]
        nn.init.orthogonal_(last.weight, gain=0.01)
        nn.init.zeros_(last.bias)
        self.optimizer = self.optimizer_class(  # type: ignore[call-arg]
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.zone_shape)
        return data


def zone_policy_kwargs(
    n_zones: int, f_zone: int, f_global: int, hidden: int, log_std_init: float, n_act: int = 4
):
    """``policy_kwargs`` for PPO with :class:`ZonePolicy` (``n_act`` commands per zone)."""
    return {
        "n_zones": n_zones,
        "f_zone": f_zone,
        "f_global": f_global,
        "n_act": n_act,
        "hidden": hidden,
        "log_std_init": float(log_std_init),
        "ortho_init": True,
    }


__all__ = ["ZoneExtractor", "ZonePolicy", "zone_policy_kwargs"]
