"""SI unit constants.

Everything inside :mod:`genai_edge` is SI (seconds, metres, bytes, bit/s,
FLOP/s, watts, joules). Multiply by a constant to convert *into* SI and divide
to convert *out of* it::

    >>> from genai_edge import units as u
    >>> 1500 * u.km          # metres
    1500000.0
    >>> 0.016 / u.ms         # milliseconds
    16.0
"""

# time [s]
s = 1.0
ms = 1e-3
us = 1e-6
ns = 1e-9
minute = 60.0
hour = 3600.0
day = 86400.0
year = 365.25 * day

# length [m]
m = 1.0
km = 1e3

# data: bytes are the storage unit, bits the transmission unit
bit = 1.0
byte = 8.0 * bit  # only for converting sizes into bits
kB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
GiB = 2**30

# rates [bit s^-1]
kbps = 1e3
Mbps = 1e6
Gbps = 1e9

# memory bandwidth [byte s^-1]
GBps = 1e9

# compute [FLOP s^-1]
GFLOPS = 1e9
TFLOPS = 1e12
PFLOPS = 1e15

# power and energy
W = 1.0
kW = 1e3
MW = 1e6
J = 1.0
kJ = 1e3
Wh = 3600.0
kWh = 3.6e6
MWh = 3.6e9

# mass of CO2e [g]
g = 1.0
kg = 1e3
t = 1e6

# physical constants
speed_of_light = 299_792_458.0  # vacuum [m s^-1]
# group index of ITU-T G.652 single-mode fibre, 1.467-1.468 at 1310-1550 nm
# (Corning SMF-28e+ product information)
fibre_refractive_index = 1.467
speed_in_fibre = speed_of_light / fibre_refractive_index  # ~2.04e8 [m s^-1]
