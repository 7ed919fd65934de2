"""The home page's live race: one preset's race, small, computed once and shared by every session."""
from __future__ import annotations

import math

import streamlit as st

from charts.common import PALETTE
from charts.race import RaceRun, frame_steps, race_figure
from ui.compute import run_path
from ui.landscape_picker import get_background, get_land
from ui.presets import BY_ID, read_frame
from ui.settings import read_optimizers

FEATURED = "momentum-overshoots"  # the preset the home page plays (its card opens the full race)
SMALL_FRAMES = 40                 # a small figure: fewer frames than the race page (MAX_FRAMES)
SMALL_HEIGHT = 560
SMALL_BUDGET = 700_000          # bytes of frames (the race page: 2.2 MB); every step of every path is drawn


@st.cache_resource(max_entries=4, show_spinner=False)
def small_race(preset_id: str = FEATURED) -> dict:
    """The preset's race as a small animated figure dict (Play and the scrubber work in the browser).

    Shared by every session without a copy (st.cache_resource): nothing may change it afterwards."""
    p = BY_ID[preset_id].params
    land_key = (p["land"], p.get("expr"))
    land = get_land(*land_key)
    start = tuple(float(v) for v in p["start"].split(",")) if "start" in p else tuple(float(v) for v in land.start)
    steps, noise, seed = int(p.get("steps", 300)), float(p.get("noise", 0.0)), int(p.get("seed", 0))
    choices, _ = read_optimizers(p, defaults=[])
    runs = []
    for i, choice in enumerate(choices):
        params, loss, diverged = run_path(land_key, choice, start, steps, noise, seed)
        runs.append(RaceRun(choice.label(), params, loss, diverged, PALETTE[i], choice.name))
    ks = frame_steps(steps, SMALL_FRAMES)
    active = read_frame(p["frame"], ks)[0] if "frame" in p else None
    fig = race_figure(land, runs, get_background(*land_key), start=start, active=active, max_frames=SMALL_FRAMES,
                      height=SMALL_HEIGHT, title=BY_ID[preset_id].title, pick_n=2, budget=SMALL_BUDGET)
    # A narrow column: two legend entries to a row (the race page's margin allows for three).
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "t": 40 + 26 * math.ceil((len(runs) + 2) / 2)}
    return fig
