"""The peer side of bench/assignment: scipy.optimize.linear_sum_assignment on the same points.

Reads x,y from a CSV file, scales each axis min-max onto the cell centres 0 .. n-1 of a rows x columns grid
(exactly as Resolve-GridAssignment does), builds the squared-Euclidean cost matrix in cell units and times
linear_sum_assignment. Prints one JSON line: the optimal cost, each run's seconds, and the matrix build time.
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment


def scale(values, cells):
    low, high = values.min(), values.max()
    if high > low:
        return (values - low) / (high - low) * (cells - 1)
    return np.full_like(values, (cells - 1) / 2.0)


def main():
    path, rows, columns, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    points = np.loadtxt(path, delimiter=",", skiprows=1)
    x = scale(points[:, 0], columns)
    y = scale(points[:, 1], rows)
    started = time.perf_counter()
    cell = np.arange(rows * columns)
    cx, cy = (cell % columns).astype(float), (cell // columns).astype(float)
    cost = (x[:, None] - cx[None, :]) ** 2 + (y[:, None] - cy[None, :]) ** 2
    build = time.perf_counter() - started
    times, total = [], None
    for _ in range(runs):
        started = time.perf_counter()
        assigned_rows, assigned_columns = linear_sum_assignment(cost)
        times.append(time.perf_counter() - started)
        total = float(cost[assigned_rows, assigned_columns].sum())
    print(json.dumps({"cost": total, "seconds": times, "build_seconds": build, "scipy": __import__("scipy").__version__}))


if __name__ == "__main__":
    main()
