"""Progress bars for studies (``tqdm.auto``: a terminal bar, or a widget in notebooks).

Bars live only at the study layer (models report through hooks). They advance with
simulated time (:class:`TimeBar`) or with sweep points / cases (:func:`bar`), and are
silent when ``enabled`` is false or when stderr is not a terminal (logs, CI).

In a child process of ``run_all(..., processes=True)`` a bar is a stand-in that sends
its events (open, update, format, close) to the parent (:func:`send_bars_to`), where a
:class:`BarMirror` draws the real bar: one terminal (or notebook) shows every run's bar.
"""
from __future__ import annotations

import itertools
import os
from contextlib import contextmanager

__all__ = ["bar", "TimeBar", "BarMirror", "send_bars_to", "run_steps"]

_REMOTE = None  # the parent's queue, in a child process of run_all(processes=True)
_IDS = itertools.count()


def send_bars_to(queue) -> None:
    """In this (child) process, bars send their events to *queue* instead of drawing."""
    global _REMOTE
    _REMOTE = queue


class _RemoteBar:
    """A bar whose drawing happens in the parent process (see :class:`BarMirror`)."""

    def __init__(self, queue, total, desc, unit):
        self._q, self._id = queue, (os.getpid(), next(_IDS))
        self._q.put(("open", self._id, dict(total=total, desc=desc, unit=unit)))

    def update(self, n=1):
        self._q.put(("update", self._id, n))

    def set_postfix_str(self, s):
        self._q.put(("postfix", self._id, s))

    def set_description(self, s):
        self._q.put(("description", self._id, s))

    @property
    def bar_format(self):
        return None

    @bar_format.setter
    def bar_format(self, fmt):
        self._q.put(("format", self._id, fmt))

    def close(self):
        self._q.put(("close", self._id, None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class BarMirror:
    """Parent side: draws the bars of child processes from their events."""

    def __init__(self):
        self._bars = {}

    def event(self, item) -> None:
        kind, key, arg = item
        if kind == "open":
            self._bars[key] = bar(**arg)
            return
        b = self._bars.get(key)
        if b is None:
            return
        if kind == "update":
            b.update(arg)
        elif kind == "postfix":
            b.set_postfix_str(arg)
        elif kind == "description":
            b.set_description(arg)
        elif kind == "format":
            if hasattr(b, "bar_format"):
                b.bar_format = arg
        elif kind == "close":
            self._bars.pop(key).close()

    def close_all(self) -> None:
        for b in self._bars.values():
            b.close()
        self._bars.clear()


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
    if _REMOTE is not None:
        return _RemoteBar(_REMOTE, total, desc, unit)
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


@contextmanager
def run_steps(t_end: float, alive, *, desc: str = "", enabled: bool = True):
    """The step hook of one run of :func:`ntransport.studies.concurrent.run_all`: yields
    ``step(t)``, which calls ``alive()`` (a cancelled run stops at its next step) and
    moves a :class:`TimeBar` over ``[0, t_end]`` simulated seconds to *t*."""
    with TimeBar(t_end, desc=desc, enabled=enabled) as b:
        def step(t):
            alive()
            b.to(t)

        yield step
