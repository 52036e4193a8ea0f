"""A request's path as data: the tiers it crosses and what each contributes.

A paradigm is a mixture of :class:`Branch` es. A branch is an ordered tuple
of tiers — the user's access link, fibre segments, compute sites — plus the
wait for a batch slot at its queue. Each tier reports its latency
:class:`Parts`: seconds spent once per request and seconds per output token
beyond the first, by component:

============  =========================================================
access        prompt uplink serialization + access-network latency both ways
transport     fibre propagation and router hops, both ways (RTT)
queue         wait for a free batch slot (from the branch's wait law)
prefill       prompt processing on the site's accelerators
decode        time per output token on the accelerators
streaming     token delivery slower than decoding (access pacing),
              per-token round trips (speculative verification), the
              download of a response payload (an image)
============  =========================================================

:meth:`Branch.compose` adds the tiers up; no paradigm sums latencies by
hand. All fields are numpy arrays that broadcast over the points of a sweep.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .distributions import Wait

__all__ = ["COMPONENTS", "FIRST_TOKEN_COMPONENTS", "Parts", "AccessLink", "FibreSegment",
           "ComputeSite", "Branch", "ComposedPath"]

COMPONENTS = ("access", "transport", "queue", "prefill", "decode", "streaming")
FIRST_TOKEN_COMPONENTS = ("access", "transport", "queue", "prefill")


@dataclass(frozen=True)
class Parts:
    """Latency a tier adds: once per request and per output token (after the first), in seconds."""
    once: dict = field(default_factory=dict)        # component → [s]
    per_token: dict = field(default_factory=dict)   # component → [s token^-1]
    token_floor: object = 0.0                       # tokens cannot arrive faster than this [s]


@dataclass(frozen=True)
class AccessLink:
    """The user's radio or fixed access network."""
    uplink: object           # prompt (and payload) upload [s]
    one_way: object          # access latency, one way [s]
    token_interval: object   # downlink time of one streamed token chunk [s]
    response: object         # download of the response payload [s]

    def latency(self) -> Parts:
        return Parts(once={"access": self.uplink + 2.0 * self.one_way, "streaming": self.response},
                     token_floor=self.token_interval)


@dataclass(frozen=True)
class FibreSegment:
    """A metro or wide-area fibre path, crossed both ways."""
    name: str                          # 'metro' or 'wan'
    round_trip: object                 # RTT [s]
    round_trips_per_token: object = 0.0  # extra RTTs per output token (speculative verification) [-]

    def latency(self) -> Parts:
        per_token = self.round_trips_per_token
        if np.ndim(per_token) == 0 and per_token == 0:
            return Parts(once={"transport": self.round_trip})
        return Parts(once={"transport": self.round_trip}, per_token={"streaming": self.round_trip * per_token})


@dataclass(frozen=True)
class ComputeSite:
    """Accelerators at a site that run (part of) the model for this request."""
    site: str                # 'cloud', 'mec' or 'device'
    prefill: object          # prompt processing [s]
    per_token: object        # decode time per output token [s]

    def latency(self) -> Parts:
        return Parts(once={"prefill": self.prefill}, per_token={"decode": self.per_token})


@dataclass(frozen=True)
class ComposedPath:
    """A branch added up: seconds per component once and per token, and the token interval."""
    weight: object
    once: dict               # component → [s]
    per_token: dict          # component → [s token^-1]
    token_time: object       # time between output tokens as the user sees them [s]
    wait: Wait

    def first_token_fixed(self):
        """Fixed part of the time to first token [s]."""
        return sum(self.once[k] for k in FIRST_TOKEN_COMPONENTS if k != "queue")

    def end_to_end_fixed(self):
        """Fixed part of the end-to-end time, answer tokens excluded [s]."""
        return sum(self.once[k] for k in COMPONENTS if k != "queue")


@dataclass(frozen=True)
class Branch:
    """One path a request may take, with probability ``weight``."""
    weight: object
    tiers: tuple
    wait: Wait

    def compose(self) -> ComposedPath:
        once = {k: 0.0 for k in COMPONENTS}
        per_token = {k: 0.0 for k in COMPONENTS}
        floor = 0.0
        for tier in self.tiers:
            parts = tier.latency()
            for k, value in parts.once.items():
                once[k] = once[k] + value
            for k, value in parts.per_token.items():
                per_token[k] = per_token[k] + value
            floor = np.maximum(floor, parts.token_floor)
        raw = sum(per_token.values())
        token_time = np.maximum(raw, floor)
        per_token["streaming"] = per_token["streaming"] + (token_time - raw)
        return ComposedPath(self.weight, once, per_token, token_time, self.wait)
