#!/usr/bin/env python3
"""Trains a LightGBM model from `covenant risk export` (features by name, `label` 1 = fraud) and writes it in
LightGBM's text format, which Covenant scores in-process (Sources/Risk/GradientBoostedModel.swift).
Installs LightGBM into .venv-risk on first use.
Usage: python3 tools/risk/train.py --input export.csv --output model.txt [--trees 400] [--leaves 31]"""
import argparse, os, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VENV = os.path.join(ROOT, ".venv-risk")

def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if sys.executable != python:
        if not os.path.exists(python):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
            subprocess.check_call([python, "-m", "pip", "install", "-q", "lightgbm==4.7.0", "numpy"])
        os.execv(python, [python] + sys.argv)

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--trees", type=int, default=400)
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--max-depth", type=int, default=-1, help="limit on a tree's depth (-1: none, LightGBM's default)")
    args = parser.parse_args()
    import numpy as np
    import lightgbm as lgb
    with open(args.input) as file:
        header = file.readline().strip().split(",")
        rows = [line.rstrip("\n").split(",") for line in file if line.strip()]
    if "label" not in header:
        sys.exit("the input has no `label` column")
    label_at = header.index("label")
    names = [name for name in header if name != "label"]
    X = np.array([[float(cell) if cell else np.nan for i, cell in enumerate(row) if i != label_at] for row in rows])
    y = np.array([int(row[label_at]) for row in rows])
    if len(set(y)) < 2:
        sys.exit("training needs both fraud and legitimate labels")
    params = {"objective": "binary", "num_leaves": args.leaves, "learning_rate": 0.05, "min_data_in_leaf": 5,
              "max_depth": args.max_depth, "verbose": -1, "deterministic": True, "num_threads": 1, "seed": 7}
    booster = lgb.train(params, lgb.Dataset(X, y, feature_name=names), num_boost_round=args.trees)
    booster.save_model(args.output)
    print(f"trained {booster.num_trees()} trees on {len(y)} labelled decisions ({int(y.sum())} fraud); wrote {args.output}")

if __name__ == "__main__":
    ensure_venv()
    main()
