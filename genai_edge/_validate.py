"""Argument checks shared by the model functions.

Bad arguments (wrong sign, NaN, wrong type) raise ``ValueError`` naming the
argument and what is allowed. Values that are valid arguments but lie outside
a model's domain (for example utilisation >= 1) are *not* errors: the model
function returns ``inf`` or ``nan`` for them and documents it.
"""
from __future__ import annotations

import numpy as np


def as_float(value, name: str) -> np.ndarray:
    """Return ``value`` as a float ndarray, or raise ValueError naming ``name``.

    Text is refused even where it spells a number (``"5"``): numpy would read it silently.
    """
    if isinstance(value, (str, bytes)):
        kind = "U"
    elif isinstance(value, np.ndarray):
        kind = value.dtype.kind
    elif isinstance(value, (list, tuple)):
        try:
            kind = np.asarray(value).dtype.kind
        except ValueError:  # ragged: the float conversion below names it
            kind = "f"
    else:
        kind = "f"
    if kind in "USO" and (kind != "O" or any(isinstance(x, (str, bytes)) for x in np.ravel(value))):
        raise ValueError(f"{name} must be a number or an array of numbers, got text {show_text(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} must be a number, got NaN")
    return arr


def nonnegative(value, name: str, *, allow_inf: bool = True) -> np.ndarray:
    """Check ``value >= 0`` element-wise."""
    arr = as_float(value, name)
    if (arr < 0).any():
        raise ValueError(f"{name} must be >= 0, got {show(arr[arr < 0])}")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must be a finite number >= 0, got inf")
    return arr


def positive(value, name: str, *, allow_inf: bool = True) -> np.ndarray:
    """Check ``value > 0`` element-wise."""
    arr = as_float(value, name)
    if (arr <= 0).any():
        raise ValueError(f"{name} must be > 0, got {show(arr[arr <= 0])}")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must be a finite number > 0, got inf")
    return arr


def fraction(value, name: str, *, low_open: bool = False, high_open: bool = False) -> np.ndarray:
    """Check ``0 <= value <= 1`` (optionally open at either end)."""
    arr = as_float(value, name)
    bad = (arr <= 0 if low_open else arr < 0) | (arr >= 1 if high_open else arr > 1)
    if bad.any():
        lo = "(0" if low_open else "[0"
        hi = "1)" if high_open else "1]"
        raise ValueError(f"{name} must be in {lo}, {hi}, got {show(arr[bad])}")
    return arr


def integer(value, name: str, *, minimum: int = 0) -> np.ndarray:
    """Check whole numbers ``>= minimum`` (returned as float for broadcasting)."""
    arr = as_float(value, name)
    if np.isinf(arr).any() or (arr != np.round(arr)).any() or (arr < minimum).any():
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {show(arr)}")
    return arr


def scalar(value, check, name: str, **kw) -> float:
    """Apply ``check`` (one of the functions above) and require a 0-d value."""
    arr = check(value, name, **kw)
    if arr.ndim:
        raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    return float(arr)


def broadcast(*named: tuple[str, np.ndarray]) -> list[np.ndarray]:
    """Broadcast (name, array) pairs together, or raise ValueError listing the shapes."""
    try:
        return [np.asarray(a, dtype=float) for a in np.broadcast_arrays(*(a for _, a in named))]
    except ValueError:
        shapes = ", ".join(f"{n}{np.shape(a)}" for n, a in named)
        raise ValueError(f"arguments cannot be broadcast together: {shapes}") from None


def scalar_or_array(result: np.ndarray):
    """Return a Python float for 0-d results, the array otherwise."""
    result = np.asarray(result)
    return float(result) if result.ndim == 0 else result


def show_text(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def show(arr: np.ndarray) -> str:
    flat = np.ravel(arr)
    return repr(float(flat[0])) if flat.size == 1 else f"{flat[:3].tolist()}{'...' if flat.size > 3 else ''}"
