"""Progress bars for studies (``tqdm.auto``: a terminal bar, or a widget in notebooks).

Bars live only at the study layer (models report through hooks). They advance with
simulated time (:class:`TimeBar`) or with sweep points / cases (:func:`bar`), and are
silent when ``enabled`` is false or when stderr is not a terminal (logs, CI).
"""
from __future__ import annotations

__all__ = ["bar", "TimeBar"]


class _Null:
    def update(self, n=1):
        pass

    def set_postfix_str(self, s):
        pass

    def set_description(self, s):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def bar(total, *, desc: str = "", unit: str = "it", enabled: bool = True):
    """A tqdm bar of *total* items (a no-op object when disabled)."""
    if not enabled:
        return _Null()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=True,
                disable=None, mininterval=0.5)


class TimeBar:
    """A bar over simulated time ``[t0, t_end]`` seconds; call ``to(t)`` after each step."""

    def __init__(self, t_end: float, *, desc: str = "", t0: float = 0.0, enabled: bool = True):
        self._t0, self._end = float(t0), float(t_end)
        self._bar = bar(round(self._end - self._t0, 12) or 1.0, desc=desc, unit="s",
                        enabled=enabled)
        self._done = 0.0
        if hasattr(self._bar, "bar_format"):
            self._bar.bar_format = "{l_bar}{bar}| {n:.3g}/{total:.3g} s simulated [{elapsed}<{remaining}]"

    def to(self, t: float) -> None:
        d = min(float(t), self._end) - self._t0 - self._done
        if d > 0:
            self._bar.update(d)
            self._done += d

    def close(self):
        self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
