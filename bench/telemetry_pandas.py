#!/usr/bin/env python3
"""Energy of an nvidia-smi capture as an ML engineer would compute it: pandas read_csv + NumPy trapezoid.

The baseline for `carbonctl emissions compute` (docs/BENCHMARKS.md, Telemetry). Same rules as the CLI:
one series per GPU `index`, the trapezoid rule between consecutive samples, never across a gap longer
than 60 s. Usage: python3 bench/telemetry_pandas.py FILE.csv   (Debian: apt-get install python3-pandas)
"""
import sys
import time

import numpy as np
import pandas as pd

MAX_GAP_S = 60.0
trapezoid = getattr(np, "trapezoid", None) or np.trapz  # NumPy 2 renamed trapz


def energy_kwh(path):
    frame = pd.read_csv(path, skipinitialspace=True, usecols=["timestamp", "index", "power.draw [W]"])
    stamps = pd.to_datetime(frame["timestamp"], format="%Y/%m/%d %H:%M:%S.%f")
    frame["ns"] = stamps.to_numpy().astype("int64")
    frame["watts"] = frame["power.draw [W]"].str.removesuffix(" W").astype(float)
    joules = 0.0
    for _, gpu in frame.groupby("index", sort=True):
        ns = gpu["ns"].to_numpy()
        seconds = (ns - ns[0]) / 1e9
        watts = gpu["watts"].to_numpy()
        # Split at gaps longer than the limit: they are not bridged.
        cuts = np.flatnonzero(np.diff(seconds) > MAX_GAP_S) + 1
        for t, w in zip(np.split(seconds, cuts), np.split(watts, cuts)):
            if len(t) > 1:
                joules += trapezoid(w, t)
    return joules / 3.6e6


if __name__ == "__main__":
    started = time.perf_counter()
    kwh = energy_kwh(sys.argv[1])
    print(f"energyKwh {kwh:.12f}  ({time.perf_counter() - started:.2f} s after imports)")
