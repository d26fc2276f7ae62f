"""Helper of Invoke-TsneBenchmark.ps1: exports the data sets, runs scikit-learn's t-SNE, and scores any map
the same way (exact KL divergence against scikit-learn's own P, and trustworthiness with k = 10).

    python3 tsne_bench.py export OUTDIR              writes digits.csv and gaussian-mixture-10k.csv
    python3 tsne_bench.py sklearn DATA.csv MAP.csv   PCA-50 + TSNE(barnes_hut, init=pca, learning_rate=auto, n_jobs=2)
    python3 tsne_bench.py score DATA.csv MAP.csv     prints JSON {"kl": ..., "trustworthiness": ...}

Data files are CSV with a Path column and a Vector column of numbers separated by ';' (or ',' or blanks);
the file's own delimiter may be ',' or ';'. Maps are CSV files with X and Y columns, in data order.
"""
import csv
import json
import re
import sys
import time

import numpy as np

PERPLEXITY = 30.0
ITERATIONS = 750
PCA_DIMENSIONS = 50


def read_vectors(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = handle.readline()
        handle.seek(0)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    column = next(name for name in ("Vector", "Embedding", "Features") if name in rows[0])
    return np.array([[float(v) for v in re.split(r"[;,\s]+", row[column].strip()) if v] for row in rows], dtype=np.float32)


def write_vectors(path, data, names):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Path", "Vector"])
        for name, row in zip(names, data):
            writer.writerow([name, ";".join(f"{v:.6g}" for v in row)])


def read_map(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(r["X"]), float(r["Y"])] for r in rows])


def pca50(data):
    from sklearn.decomposition import PCA
    if data.shape[1] <= PCA_DIMENSIONS:
        return data.astype(np.float32)
    return PCA(n_components=PCA_DIMENSIONS, svd_solver="full", random_state=0).fit_transform(data).astype(np.float32)


def export(outdir):
    from sklearn.datasets import load_digits
    digits = load_digits().data.astype(np.float32)
    write_vectors(f"{outdir}/digits.csv", digits, [f"digit{i}" for i in range(len(digits))])
    # 10,000 points in 50-d: 20 Gaussian components with unit noise around centres spread with std 3.
    rng = np.random.default_rng(2024)
    centres = rng.normal(0, 3, size=(20, 50))
    labels = rng.integers(0, 20, size=10000)
    mixture = (centres[labels] + rng.normal(0, 1, size=(10000, 50))).astype(np.float32)
    write_vectors(f"{outdir}/gaussian-mixture-10k.csv", mixture, [f"g{label}_{i}" for i, label in enumerate(labels)])


def run_sklearn(data_path, map_path):
    from sklearn.manifold import TSNE
    data = read_vectors(data_path)
    start = time.perf_counter()
    reduced = pca50(data)
    tsne = TSNE(n_components=2, perplexity=PERPLEXITY, n_iter=ITERATIONS, method="barnes_hut", init="pca",
                learning_rate="auto", n_jobs=2, random_state=0)
    embedding = tsne.fit_transform(reduced)
    seconds = time.perf_counter() - start
    with open(map_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["X", "Y"])
        writer.writerows(embedding.tolist())
    print(json.dumps({"seconds": seconds, "kl": float(tsne.kl_divergence_)}))


def score(data_path, map_path):
    from sklearn.manifold import trustworthiness
    from sklearn.manifold._t_sne import _joint_probabilities_nn
    from sklearn.neighbors import NearestNeighbors
    data = pca50(read_vectors(data_path)).astype(np.float64)
    embedding = read_map(map_path)
    n = len(data)
    # scikit-learn's own P: squared Euclidean distances to min(n - 1, 3 * perplexity + 1) neighbours.
    k = min(n - 1, int(3.0 * PERPLEXITY + 1))
    graph = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(data).kneighbors_graph(mode="distance")
    graph.data **= 2
    p = _joint_probabilities_nn(graph, PERPLEXITY, 0).tocoo()
    # Exact Z over all pairs, in blocks.
    z = 0.0
    for start in range(0, n, 1000):
        block = embedding[start:start + 1000]
        d2 = ((block[:, None, :] - embedding[None, :, :]) ** 2).sum(-1)
        z += (1.0 / (1.0 + d2)).sum() - len(block)
    d2 = ((embedding[p.row] - embedding[p.col]) ** 2).sum(-1)
    q = 1.0 / (1.0 + d2) / z
    kl = float(np.sum(p.data * np.log(np.maximum(p.data, 1e-300) / q)))
    trust = float(trustworthiness(data, embedding, n_neighbors=10))
    print(json.dumps({"kl": kl, "trustworthiness": trust}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "export":
        export(sys.argv[2])
    elif command == "sklearn":
        run_sklearn(sys.argv[2], sys.argv[3])
    elif command == "score":
        score(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
