#!/usr/bin/env python3
"""Writes the LightGBM parity fixture for Tests/RiskTests: a small binary model (numerical splits with NaN and
zero handling, one categorical feature) trained on generated data, and its scores for 300 rows.
Usage: python3 tools/risk/make_parity_fixture.py  (installs LightGBM into .venv-risk on first use)."""
import os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.join(ROOT, ".venv-risk")

def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if sys.executable != python:
        if not os.path.exists(python):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
            subprocess.check_call([python, "-m", "pip", "install", "-q", "lightgbm==4.7.0", "numpy"])
        os.execv(python, [python] + sys.argv)

def main():
    import numpy as np
    import lightgbm as lgb
    rng = np.random.default_rng(20261129)
    n = 4000
    amount = rng.lognormal(5, 1.2, n)
    count_1h = rng.poisson(1.5, n).astype(float)
    account_age_days = rng.exponential(200, n)
    new_device = rng.integers(0, 2, n).astype(float)
    ring_size = rng.poisson(0.3, n).astype(float)
    channel = rng.integers(0, 5, n).astype(float)  # categorical
    # missing values and exact zeros, which LightGBM routes by each split's missing type
    account_age_days[rng.random(n) < 0.05] = np.nan
    amount[rng.random(n) < 0.03] = 0.0
    logit = (0.004 * amount + 0.6 * count_1h - 0.01 * np.nan_to_num(account_age_days, nan=0) + 1.2 * new_device
             + 0.9 * ring_size + (channel == 3) * 1.5 - 3)
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = np.column_stack([amount, count_1h, account_age_days, new_device, ring_size, channel])
    names = ["amount", "count_1h", "account_age_days", "new_device", "ring_size", "channel"]
    data = lgb.Dataset(X, label, feature_name=names, categorical_feature=["channel"])
    params = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 20,
              "verbose": -1, "seed": 7, "deterministic": True, "num_threads": 1}
    booster = lgb.train(params, data, num_boost_round=60)
    fixtures = os.path.join(ROOT, "Tests", "RiskTests", "Fixtures")
    booster.save_model(os.path.join(fixtures, "parity_model.txt"))
    rows = X[:300].copy()
    rows[0, :] = np.nan  # every feature missing
    rows[1, 0] = 0.0
    rows[2, 5] = 7.0  # a category never seen
    raw = booster.predict(rows, raw_score=True)
    probability = booster.predict(rows)
    with open(os.path.join(fixtures, "parity_rows.csv"), "w") as out:
        out.write(",".join(names + ["raw", "probability"]) + "\n")
        for features, r, p in zip(rows, raw, probability):
            cells = ["" if np.isnan(v) else repr(float(v)) for v in features]
            out.write(",".join(cells + [repr(float(r)), repr(float(p))]) + "\n")
    print("wrote", fixtures)

if __name__ == "__main__":
    ensure_venv()
    main()
