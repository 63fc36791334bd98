"""GIF frames: blitted on one figure (``style.gif``) against a full draw of every frame.

The frames are the dendrite study's animation shape: one row of P1 maps of a moving
diffuse interface (``tanh`` front, 10 k triangles a panel), each with its xi = 1/2
contour and a title that changes per frame, at the animation's 60 dpi. "full redraw" is
what ``style.gif`` did before it blitted: a new figure per frame, laid out like the
first, drawn in full. Both variants run interleaved, ``--repeats`` rounds, and the
frames of the two are compared pixel by pixel (fraction of pixels differing by more than
40 of 255 in a channel, after the GIF palette).

    python benchmarks/figures/gif.py --repeats 3
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from common import environment, stats  # noqa: E402


def _case(panels: int):
    import skfem

    from ntransport.geometry.domain import Domain
    from ntransport.io import style

    m = skfem.MeshTri.init_tensor(np.linspace(0, 12.6e-6, 60), np.linspace(0, 12.6e-6, 90))
    d = Domain.from_arrays(m.p.T, m.t.T, {"electrolyte": np.arange(m.t.shape[1])})
    x, y = d.mesh.p

    def xi(k):
        front = (2 + k) * 1e-6 + 0.5e-6 * np.cos(x / 2e-6)
        return 0.5 * (1 - np.tanh((y - front) / 0.3e-6))

    def make():
        fig, axes = style.new_figure(panels, ncols=panels, panel=(2.6, 2.4))
        fig.set_dpi(60)
        return fig, axes

    def drawer(axes):
        def draw(k):
            v = xi(k)
            for j, ax in enumerate(axes):
                style.field_map(ax, d, v, label="ξ", kind="sequential", vmin=0.0, vmax=1.0,
                                title=f"run {j}: t = {0.1 * k:.3g} s", colorbar=False)
                style.contour(ax, d, v, 0.5, colors="white", linewidths=0.9)
        return draw

    return make, drawer


def blitted(make, drawer, n):
    from ntransport.io import style

    fig, axes = make()
    return style.gif(fig, drawer(axes), n)


def full_redraw(make, drawer, n):
    """The previous ``style.gif``: a figure per frame, the first frame's layout reused."""
    from PIL import Image

    from ntransport.io import style

    plt = style._plt()
    images, layout = [], None
    for k in range(n):
        fig, axes = make()
        drawer(axes)(k)
        if layout is not None:
            fig.set_layout_engine("none")
            for ax, pos in zip(fig.axes, layout):
                ax.set_position(pos)
        fig.canvas.draw()
        if layout is None:
            layout = [ax.get_position(original=False).frozen() for ax in fig.axes]
        images.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
        plt.close(fig)
    pal = [im.convert("P", palette=Image.ADAPTIVE, colors=255) for im in images]
    bio = io.BytesIO()
    pal[0].save(bio, format="GIF", save_all=True, append_images=pal[1:], duration=333,
                loop=0, optimize=False)
    return bio.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frames", type=int, nargs="+", default=[5, 11])
    ap.add_argument("--panels", type=int, default=6)
    args = ap.parse_args(argv)
    from ntransport.io import style

    make, drawer = _case(args.panels)
    variants = {"blitted (style.gif)": blitted, "full redraw per frame": full_redraw}
    for fn in variants.values():  # warm-up: imports, font cache
        fn(make, drawer, 2)
    out = dict(environment=environment(panels=args.panels), results=[])
    for n in args.frames:
        times, data = {k: [] for k in variants}, {}
        for r in range(args.repeats):
            for name, fn in variants.items():
                t0 = time.perf_counter()
                data[name] = fn(make, drawer, n)
                times[name].append(time.perf_counter() - t0)
            print(f"{n} frames, round {r}: " + ", ".join(
                f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        a, b = (style.gif_frames(data[k]) for k in variants)
        mismatch = [float(np.mean(np.abs(x - y).max(axis=2) > 40)) for x, y in zip(a, b)]
        rec = dict(frames=n, stats={k: stats(v) for k, v in times.items()},
                   ratio_of_minima=min(times["blitted (style.gif)"])
                   / min(times["full redraw per frame"]),
                   pixel_mismatch_max=max(mismatch))
        out["results"].append(rec)
        print(f"{n} frames: ratio of minima {rec['ratio_of_minima']:.2f}, frames differ in "
              f"<= {100 * rec['pixel_mismatch_max']:.3f} % of pixels", flush=True)
    out["environment"]["loadavg_end"] = [float(x) for x in __import__("os").getloadavg()]
    (HERE / "gif.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {HERE / 'gif.json'}")


if __name__ == "__main__":
    main()
