"""Energy, power and carbon as sympy expressions.

The closed forms of :mod:`genai_edge.energy` and :mod:`genai_edge.power`
stated once: the accelerator's power from its utilizations (capped at the
board power), the energy at the server and facility boundaries, idle
capacity charged per request, training energy from accelerator-hours or
from FLOP, emissions at a grid intensity and a phone battery's share.

References
----------
.. [1] A. Beloglazov and R. Buyya, "Optimal online deterministic algorithms
   and adaptive heuristics for energy and performance efficient dynamic
   consolidation of virtual machines in cloud data centers," Concurrency
   Computat.: Pract. Exper. 24(13), 1397-1420, 2012. doi:10.1002/cpe.1867
.. [2] C. Elsworth et al., "Measuring the environmental impact of delivering
   AI at Google scale," 2025. arXiv:2508.15734
.. [3] D. Patterson et al., "Carbon emissions and large neural network
   training," 2021. arXiv:2104.10350
.. [4] H. Touvron et al., "LLaMA: open and efficient foundation language
   models," 2023, Table 15. arXiv:2302.13971
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from .. import catalog, energy, power
from .base import Formula, fraction, pointwise, positive, register

__all__ = ["J_PER_KWH", "SERVER_OVERHEAD"]

J_PER_KWH = sp.Integer(3_600_000)            # [J kWh^-1]
SERVER_OVERHEAD = sp.Rational(25, 58)        # host energy per unit of accelerator energy [-]
J_PER_WH = sp.Integer(3600)                  # [J Wh^-1]
S_PER_H = sp.Integer(3600)                   # [s h^-1]

# ------------------------------------------------------------------ symbols
P, P_idle, P_max = sp.symbols("P P_idle P_max", positive=True)          # power [W]
u_F, u_W, u = sp.symbols("u_F u_W u", nonnegative=True)                # utilizations [-]
k_0, k_W, k_F = sp.symbols("k_0 k_W k_F", nonnegative=True)            # fitted power constants [-]
E, E_acc, E_b = sp.symbols("E E_acc E_b", positive=True)               # energy [J]
PUE = sp.Symbol("PUE", positive=True)                                  # [-]
lam = sp.Symbol("lambda", positive=True)                               # request rate [s^-1]
g_grid = sp.Symbol("g", positive=True)                                 # grid intensity [kg CO2e kWh^-1]
m_co2 = sp.Symbol("m_CO2e", positive=True)                             # emissions [g CO2e]
H = sp.Symbol("H", positive=True)                                      # accelerator-hours [h]
F, F_peak, mfu = sp.symbols("F F_peak mu", positive=True)              # FLOP, peak [FLOP s^-1], MFU [-]
Q_bat, s_bat = sp.symbols("Q_bat s_bat", positive=True)                # battery [Wh], share [-]
E_idle = sp.Symbol("E_idle", nonnegative=True)                         # idle energy per request [J]


def _device_power(p_idle, p_max, uf, uw, k0, kw, kf):
    hw = dataclasses.replace(catalog.hardware(catalog.hardware_ids()[0]), power_idle=p_idle, power_max=p_max)
    return power.device_power(hw, uf, uw, power.PowerFactors("sampled", k0, kw, kf, "-", "-"))


# ---------------------------------------------------------------- formulas
register(Formula(
    name="device_power", lhs=P,
    rhs=P_idle + (P_max - P_idle) * sp.Min(1, k_0 + k_W * u_W + k_F * u_F),
    args=(P_idle, P_max, u_F, u_W, k_0, k_W, k_F),
    numeric=pointwise(_device_power),
    domain={P_idle: positive(1.0, 300.0), P_max: positive(5.0, 1500.0), u_F: fraction(0.0, 1.0),
            u_W: fraction(0.0, 1.0), k_0: fraction(0.0, 0.8), k_W: fraction(0.0, 1.0), k_F: fraction(0.0, 1.0)},
    units={P: "W", P_idle: "W", P_max: "W", u_F: "-", u_W: "-", k_0: "-", k_W: "-", k_F: "-"},
    constraint=lambda p_idle, p_max, *rest: p_max > p_idle,
    source="A. Beloglazov and R. Buyya, Concurrency Computat.: Pract. Exper. 24(13), 2012 "
           "(P = P_idle + (P_max − P_idle)·u), doi:10.1002/cpe.1867; bandwidth and static terms as fitted by "
           "genai_edge.validation on the ML.ENERGY benchmark, arXiv:2505.06371",
    note="Linear in the shares of the matrix peak (u_F) and memory bandwidth (u_W) in use plus a static "
         "share k_0 while kernels run; the min() is the board power limit. The library takes P_idle and "
         "P_max from an accelerator and k from a PowerFactors; both are built from the sampled symbols."))

register(Formula(
    name="boundary_energy_server", lhs=E_b, rhs=E_acc * (1 + SERVER_OVERHEAD), args=(E_acc,),
    numeric=lambda e: energy.boundary_energy(e, "server", "datacenter_gpu"),
    domain={E_acc: positive(1e-3, 1e9)},
    units={E_b: "J", E_acc: "J"},
    source="C. Elsworth et al., Measuring the environmental impact of delivering AI at Google scale, 2025. "
           "arXiv:2508.15734 (host CPU and DRAM 25 % vs accelerators 58 % of a median prompt's energy)",
    note="Server boundary of a server-class accelerator: its energy plus the host's, 25/58 of it."))

register(Formula(
    name="boundary_energy_facility", lhs=E_b, rhs=E_acc * (1 + SERVER_OVERHEAD) * PUE, args=(E_acc, PUE),
    numeric=lambda e, pue: energy.boundary_energy(e, "facility", "datacenter_gpu", pue),
    domain={E_acc: positive(1e-3, 1e9), PUE: fraction(1.0, 2.5)},
    units={E_b: "J", E_acc: "J", PUE: "-"},
    source="C. Elsworth et al., 2025. arXiv:2508.15734 (server overhead 25/58); The Green Grid, "
           "PUE: a comprehensive examination of the metric, White Paper 49, 2012 (facility = IT x PUE)",
    note="Facility boundary: the server boundary times the site's power usage effectiveness (PUE >= 1)."))

register(Formula(
    name="idle_energy_per_request", lhs=E_idle, rhs=P_idle * sp.Max(0, 1 - u) / lam, args=(P_idle, u, lam),
    numeric=energy.idle_energy_per_request,
    domain={P_idle: positive(1.0, 1e5), u: fraction(0.0, 1.5), lam: positive(1e-3, 1e4)},
    units={E_idle: "J", P_idle: "W", u: "-", lam: "s^-1"},
    source="C. Elsworth et al., Measuring the environmental impact of delivering AI at Google scale, 2025. "
           "arXiv:2508.15734 (idle capacity counted in the energy per prompt)",
    note="The idle draw of provisioned accelerators while their slots are not busy, shared by the requests "
         "served; 0 at or above full utilization. The library gives inf at zero request rate, outside "
         "this domain (rate > 0)."))

register(Formula(
    name="co2e_g", lhs=m_co2, rhs=E * g_grid * 1000 / J_PER_KWH, args=(E, g_grid),
    numeric=energy.co2e_g,
    domain={E: positive(1e-3, 1e15), g_grid: positive(1e-3, 1.5)},
    units={m_co2: "g CO2e", E: "J", g_grid: "kg CO2e kWh^-1"},
    source="Greenhouse Gas Protocol, Scope 2 Guidance, 2015 (location-based emissions = energy x grid "
           "intensity); D. Patterson et al., 2021. arXiv:2104.10350",
    note="Energy in kWh (3.6e6 J per kWh) times the grid's intensity, in grams."))

register(Formula(
    name="training_energy_j", lhs=E, rhs=H * S_PER_H * P * PUE, args=(H, P, PUE),
    numeric=energy.training_energy_j,
    domain={H: positive(1.0, 1e8), P: positive(10.0, 1500.0), PUE: fraction(1.0, 2.5)},
    units={E: "J", H: "h", P: "W", PUE: "-"},
    source="H. Touvron et al., LLaMA: open and efficient foundation language models, 2023, Table 15. "
           "arXiv:2302.13971",
    note="Accelerator-hours times the average power per accelerator (e.g. its TDP) times PUE."))

register(Formula(
    name="training_flops_energy_j", lhs=E, rhs=F / (mfu * F_peak) * P * PUE, args=(F, F_peak, mfu, P, PUE),
    numeric=energy.training_flops_energy_j,
    domain={F: positive(1e15, 1e27), F_peak: positive(1e12, 1e16), mfu: fraction(0.01, 1.0),
            P: positive(10.0, 1500.0), PUE: fraction(1.0, 2.5)},
    units={E: "J", F: "FLOP", F_peak: "FLOP s^-1", mfu: "-", P: "W", PUE: "-"},
    source="D. Patterson et al., Carbon emissions and large neural network training, 2021. arXiv:2104.10350",
    note="Accelerator-seconds F/(MFU x peak) at model FLOP utilization MFU, times power and PUE."))

register(Formula(
    name="battery_share", lhs=s_bat, rhs=E / (Q_bat * J_PER_WH), args=(E, Q_bat),
    numeric=pointwise(lambda e, q: energy.battery_share(e, q)),
    domain={E: positive(1e-3, 1e5), Q_bat: positive(1.0, 100.0)},
    units={s_bat: "-", E: "J", Q_bat: "Wh"},
    source="International System of Units (SI), BIPM 2019: 1 Wh = 3600 J",
    note="Energy over the battery's rated capacity (3600 J per Wh); above 1 the battery would be drained "
         "more than once. The library takes one capacity per call."))
