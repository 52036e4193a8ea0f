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
retrieval     embedding the query and searching the site's retrieval index
prefill       prompt processing on the site's accelerators
decode        time per output token on the accelerators
streaming     token delivery slower than decoding (access pacing),
              per-token round trips (speculative verification), the
              download of a response payload (an image)
============  =========================================================

Each tier also reports its energy :class:`EnergyParts` (joules once per
request and per output token beyond the first, by component of
:data:`ENERGY_COMPONENTS`) and its emissions (that energy at the grid
intensity of the electricity it draws):

==================  ===================================================
device_compute      the user's device running the model (whole device)
device_radio        the device's radio sending the prompt, receiving tokens
network             access, metro and wide-area networks, per bit carried
edge_it             MEC accelerators and their servers' hosts, busy time
cloud_it            cloud accelerators and their hosts, busy time
facility_overhead   cooling and power distribution: (PUE − 1) × IT
idle                provisioned accelerators idle between requests, shared
                    by the requests served (with its host and PUE)
==================  ===================================================

Each branch also says what it carries and who answers: the user data it
sends off the device (the access link's uplink, if it has one), the share
of it that reaches a cloud region (if it crosses a cloud site, plus bytes
per output token such as speculative draft tokens), and the pre-training
loss of the model that produces its answer.

:meth:`Branch.compose` adds the tiers up; no paradigm sums latencies or
energies by hand. All fields are numpy arrays that broadcast over the points of a sweep.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .distributions import Wait
from .energy import J_PER_KWH

__all__ = ["COMPONENTS", "FIRST_TOKEN_COMPONENTS", "ENERGY_COMPONENTS", "Parts", "EnergyParts", "AccessLink",
           "FibreSegment",
           "ComputeSite", "Branch", "ComposedPath"]

COMPONENTS = ("access", "transport", "queue", "retrieval", "prefill", "decode", "streaming")
FIRST_TOKEN_COMPONENTS = ("access", "transport", "queue", "retrieval", "prefill")
ENERGY_COMPONENTS = ("device_compute", "device_radio", "network", "edge_it", "cloud_it", "facility_overhead",
                     "idle")


@dataclass(frozen=True)
class Parts:
    """Latency a tier adds: once per request and per output token (after the first), in seconds."""
    once: dict = field(default_factory=dict)        # component → [s]
    per_token: dict = field(default_factory=dict)   # component → [s token^-1]
    token_floor: object = 0.0                       # tokens cannot arrive faster than this [s]


@dataclass(frozen=True)
class EnergyParts:
    """Energy a tier adds, once per request and per output token (after the first), and its emissions."""
    once: dict = field(default_factory=dict)        # energy component → [J]
    per_token: dict = field(default_factory=dict)   # energy component → [J token^-1]
    grid: object = 0.0                              # grid intensity of the tier's electricity [kg CO2e kWh^-1]


@dataclass(frozen=True)
class Bits:
    """What a request carries over the network: uplink, downlink once, downlink per token. [bit]"""
    up: object = 0.0
    down: object = 0.0
    down_per_token: object = 0.0


@dataclass(frozen=True)
class AccessLink:
    """The user's radio or fixed access network."""
    uplink: object           # prompt (and payload) upload [s]
    one_way: object          # access latency, one way [s]
    token_interval: object   # downlink time of one streamed token chunk [s]
    response: object         # download of the response payload [s]
    bits: Bits = Bits()
    radio_up_j_per_bit: object = 0.0     # device radio, sending [J bit^-1]
    radio_down_j_per_bit: object = 0.0   # device radio, receiving [J bit^-1]
    radio_tail_j: object = 0.0           # device radio in its high-power tail after the transfer [J]
    network_j_per_bit: object = 0.0      # the access network itself [J bit^-1]
    device_grid: object = 0.0            # the device's electricity [kg CO2e kWh^-1]
    network_grid: object = 0.0           # the networks' electricity [kg CO2e kWh^-1]

    def latency(self) -> Parts:
        return Parts(once={"access": self.uplink + 2.0 * self.one_way, "streaming": self.response},
                     token_floor=self.token_interval)

    def energy(self) -> list:
        b = self.bits
        radio = EnergyParts({"device_radio": b.up * self.radio_up_j_per_bit + b.down * self.radio_down_j_per_bit
                             + self.radio_tail_j},
                            {"device_radio": b.down_per_token * self.radio_down_j_per_bit}, self.device_grid)
        net = EnergyParts({"network": (b.up + b.down) * self.network_j_per_bit},
                          {"network": b.down_per_token * self.network_j_per_bit}, self.network_grid)
        return [radio, net]


@dataclass(frozen=True)
class FibreSegment:
    """A metro or wide-area fibre path, crossed both ways."""
    name: str                          # 'metro' or 'wan'
    round_trip: object                 # RTT [s]
    round_trips_per_token: object = 0.0  # extra RTTs per output token (speculative verification) [-]
    bits: Bits = Bits()
    j_per_bit: object = 0.0            # energy per bit carried [J bit^-1]
    grid: object = 0.0                 # [kg CO2e kWh^-1]

    def latency(self) -> Parts:
        per_token = self.round_trips_per_token
        if np.ndim(per_token) == 0 and per_token == 0:
            return Parts(once={"transport": self.round_trip})
        return Parts(once={"transport": self.round_trip}, per_token={"streaming": self.round_trip * per_token})

    def energy(self) -> list:
        b = self.bits
        return [EnergyParts({"network": (b.up + b.down) * self.j_per_bit},
                            {"network": b.down_per_token * self.j_per_bit}, self.grid)]


@dataclass(frozen=True)
class ComputeSite:
    """Accelerators at a site that run (part of) the model for this request.

    Energies are at the IT boundary (accelerators plus their server's host;
    the whole device on the device); ``pue`` adds the facility overhead.
    """
    site: str                # 'cloud', 'mec' or 'device'
    prefill: object          # prompt processing [s]
    per_token: object        # decode time per output token [s]
    prefill_j: object = 0.0  # IT energy of the prefill [J]
    token_j: object = 0.0    # IT energy per output token [J token^-1]
    idle_j: object = 0.0     # idle energy charged per request, facility included [J]
    pue: object = 1.0        # [-]
    grid: object = 0.0       # [kg CO2e kWh^-1]
    retrieval: object = 0.0    # query embedding and index search [s]
    retrieval_j: object = 0.0  # its IT energy [J]
    index_age: object = math.nan  # mean age of the retrieval index when a request reads it [s]

    def latency(self) -> Parts:
        return Parts(once={"retrieval": self.retrieval, "prefill": self.prefill}, per_token={"decode": self.per_token})

    def energy(self) -> list:
        it = {"cloud": "cloud_it", "mec": "edge_it", "device": "device_compute"}[self.site]
        overhead = self.pue - 1.0
        busy = self.prefill_j + self.retrieval_j
        return [EnergyParts({it: busy, "facility_overhead": overhead * busy, "idle": self.idle_j},
                            {it: self.token_j, "facility_overhead": overhead * self.token_j}, self.grid)]


@dataclass(frozen=True)
class ComposedPath:
    """A branch added up: seconds per component once and per token, the token interval, energy and emissions,
    the user data it sends off the device and to a cloud site, and the answering model's loss."""
    weight: object
    once: dict               # component → [s]
    per_token: dict          # component → [s token^-1]
    token_time: object       # time between output tokens as the user sees them [s]
    wait: Wait
    energy_once: dict = field(default_factory=dict)       # energy component → [J]
    energy_per_token: dict = field(default_factory=dict)  # energy component → [J token^-1]
    co2e_once: object = 0.0                               # [g CO2e]
    co2e_per_token: object = 0.0                          # [g CO2e token^-1]
    bytes_off_device: object = 0.0                        # uplink leaving the user's device [byte]
    bytes_to_cloud: object = 0.0                          # uplink reaching a cloud site [byte]
    bytes_to_cloud_per_token: object = 0.0                # sent to the cloud per output token [byte token^-1]
    answer_loss: object = math.nan                        # loss of the answering model [nat token^-1]
    index_age: object = math.nan                          # answering site's retrieval index, mean age [s]

    def first_token_fixed(self):
        """Fixed part of the time to first token [s]."""
        return sum(self.once[k] for k in FIRST_TOKEN_COMPONENTS if k != "queue")

    def end_to_end_fixed(self):
        """Fixed part of the end-to-end time, answer tokens excluded [s]."""
        return sum(self.once[k] for k in COMPONENTS if k != "queue")


@dataclass(frozen=True)
class Branch:
    """One path a request may take, with probability ``weight``.

    ``answer_loss`` is the pre-training loss of the model that answers on
    this path (NaN: not defined); ``cloud_bytes_per_token`` what the path
    sends to a cloud site per output token beyond the first (the draft
    tokens of speculative decoding).
    """
    weight: object
    tiers: tuple
    wait: Wait
    answer_loss: object = math.nan       # [nat token^-1]
    cloud_bytes_per_token: object = 0.0  # [byte token^-1]

    def compose(self, maximum=np.maximum) -> ComposedPath:
        """The tiers added up; ``maximum`` is the elementwise max (``sympy.Max`` for expressions)."""
        once = {k: 0.0 for k in COMPONENTS}
        per_token = {k: 0.0 for k in COMPONENTS}
        floor = 0.0
        for tier in self.tiers:
            parts = tier.latency()
            for k, value in parts.once.items():
                once[k] = once[k] + value
            for k, value in parts.per_token.items():
                per_token[k] = per_token[k] + value
            floor = maximum(floor, parts.token_floor)
        raw = sum(per_token.values())
        token_time = maximum(raw, floor)
        per_token["streaming"] = per_token["streaming"] + (token_time - raw)
        e_once = {k: 0.0 for k in ENERGY_COMPONENTS}
        e_token = {k: 0.0 for k in ENERGY_COMPONENTS}
        g_once = g_token = 0.0
        for tier in self.tiers:
            for part in tier.energy():
                g = part.grid * (1e3 / J_PER_KWH)            # kg/kWh -> g/J
                for k, value in part.once.items():
                    e_once[k] = e_once[k] + value
                    g_once = g_once + g * value
                for k, value in part.per_token.items():
                    e_token[k] = e_token[k] + value
                    g_token = g_token + g * value
        up = sum((t.bits.up / 8.0 for t in self.tiers if isinstance(t, AccessLink)), 0.0)
        cloud = any(isinstance(t, ComputeSite) and t.site == "cloud" for t in self.tiers)
        answering = next((t for t in self.tiers if isinstance(t, ComputeSite)), None)
        return ComposedPath(self.weight, once, per_token, token_time, self.wait, e_once, e_token, g_once, g_token,
                            up, up if cloud else 0.0, self.cloud_bytes_per_token if cloud else 0.0,
                            self.answer_loss, math.nan if answering is None else answering.index_age)
