#!/usr/bin/env python3
"""Float reference accuracy of a NIR CNN (Input -> Conv2d / AvgPool2d / SumPool2d / Flatten /
Affine / Linear -> LIF ... -> Output, a chain) on chipsim's MNIST-5k test split, with the
exact input spikes chipsim's rate encoder draws (developer check, not part of swift test).

    pip install h5py numpy
    python scripts/nir_mnist_float.py Tests/OnChipLearningTests/Fixtures/nir/snntorch_cnn_mnist.nir

Reproduces, in numpy, without chipsim code:
  * the split: data/mnist5k-*.idx, per class the 100 samples with the smallest
    SplitMix64 key draw(file index) (seed 0, stream datasetSplit = 6) go to test, in file
    order, interleaved round-robin over classes (Datasets/BalancedSplit.swift);
  * the rate encoder: sample s (index in the split), step t, channel c spikes iff
    (draw >> 32) * 255 < pixel << 32 with the key (seed 0, stream inputEncoder = 2).with(s).with(t)
    (Encoders/RateEncoder.swift).
Two float semantics of the same network (LIF: v <- (1 - dt/tau) v + (dt/tau) r I, dt = 1e-4):
  snntorch: all layers in the same step (no delay), reset by subtraction one step late, as
            snnTorch's Leaky does (v <- beta v + I - s_{t-1} threshold);
  chip:     one step of delay per layer (as every chip connection), reset by subtraction
            right after the spike (chipsim's reset "soft").
Prediction: argmax of the last LIF layer's spike counts, first maximum; no spike = wrong
(as chipsim counts it).
"""
import sys, argparse
import numpy as np
import h5py

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def key(seed, stream):
    return int(mix(np.uint64((mix(np.uint64((seed + GOLDEN) & M64)) ^ np.uint64(stream)))))


def with_(k, coord):
    return int(mix(np.uint64(k) ^ mix(np.uint64((coord + GOLDEN) & M64))))


def draws(k, n):
    with np.errstate(over="ignore"):
        return mix(np.uint64(k) + np.arange(n, dtype=np.uint64) * np.uint64(GOLDEN))


def read_idx(path):
    b = open(path, "rb").read()
    dims = b[3]
    shape = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def test_split(labels, per_class=100, seed=0):
    k = key(seed, 6)
    d = draws(k, len(labels))
    lists = []
    for c in range(10):
        members = np.nonzero(labels == c)[0]
        ranked = sorted(members, key=lambda i: (int(d[i]), i))
        lists.append(sorted(ranked[:per_class]))
    out = []
    for j in range(max(map(len, lists))):
        for l in lists:
            if j < len(l):
                out.append(l[j])
    return np.array(out)


def encode(images, steps, seed=0):
    """spikes[t][b][c] for samples numbered 0..B-1."""
    base = key(seed, 2)
    B, C = images.shape
    out = np.zeros((steps, B, C), dtype=np.float64)
    thr = images.astype(np.uint64) << np.uint64(32)
    for s in range(B):
        ks = with_(base, s)
        for t in range(steps):
            r = draws(with_(ks, t), C) >> np.uint64(32)
            with np.errstate(over="ignore"):
                out[t, s] = (r * np.uint64(255) < thr[s]).astype(np.float64)
    return out


def conv2d(x, w, b, stride, pad):
    B, C, H, W = x.shape
    O, I, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    return np.einsum("bchwij,ocij->bohw", win, w, optimize=True) + b[None, :, None, None]


def pool(x, k, stride, avg):
    win = np.lib.stride_tricks.sliding_window_view(x, k, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    s = win.sum(axis=(4, 5))
    return s / (k[0] * k[1]) if avg else s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nir")
    ap.add_argument("--data", default="data")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--dt", type=float, default=1e-4)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--drain", type=int, default=0, help="chip mode: silent steps after the T input steps")
    a = ap.parse_args()
    f = h5py.File(a.nir, "r")
    nodes = f["node/nodes"]
    edges = [(e[0].decode(), e[1].decode()) for e in f["node/edges"][()]]
    succ = dict(edges)
    chain, n = [], [k for k in nodes if nodes[k]["type"][()].decode() == "Input"][0]
    while n in succ and nodes[succ[n]]["type"][()].decode() != "Output":
        n = succ[n]
        chain.append(n)
    P = lambda n, k: np.array(nodes[n][k][()])
    T = lambda n: nodes[n]["type"][()].decode()
    images = read_idx(f"{a.data}/mnist5k-images.idx").reshape(-1, 784)
    labels = read_idx(f"{a.data}/mnist5k-labels.idx")
    idx = test_split(labels)[: a.limit]
    x_img, y = images[idx], labels[idx]
    spikes = encode(x_img, a.steps)  # [T, B, 784]
    B = len(idx)
    in_shape = tuple(int(v) for v in P([k for k in nodes if T(k) == "Input"][0], "shape"))
    # Split the chain into stages: linear nodes then one LIF.
    stages, lin = [], []
    for n in chain:
        if T(n) in ("LIF",):
            stages.append((lin, n)); lin = []
        else:
            lin.append(n)

    def linear(ops, x):
        for n in ops:
            t = T(n)
            if t == "Conv2d":
                x = conv2d(x, P(n, "weight"), P(n, "bias"), tuple(P(n, "stride")), tuple(P(n, "padding")))
            elif t in ("AvgPool2d", "SumPool2d"):
                x = pool(x, tuple(P(n, "kernel_size")), tuple(P(n, "stride")), t == "AvgPool2d")
            elif t == "Flatten":
                x = x.reshape(x.shape[0], -1)
            elif t in ("Affine", "Linear"):
                x = x @ P(n, "weight").T + (P(n, "bias") if t == "Affine" else 0)
            else:
                raise SystemExit(f"unsupported node {n} ({t})")
        return x

    for mode in ("snntorch", "chip"):
        beta = [1 - a.dt / float(P(l, "tau").flat[0]) for _, l in stages]
        gain = [a.dt / float(P(l, "tau").flat[0]) * float(P(l, "r").flat[0]) for _, l in stages]
        th = [float(P(l, "v_threshold").flat[0]) for _, l in stages]
        z = np.zeros((B,) + in_shape)
        v, prev = [], []  # membrane and the spikes each stage emitted at the step before
        for ops, _ in stages:
            z = linear(ops, z) * 0
            v.append(z.copy()); prev.append(z.copy())
        last_in = np.zeros((B,) + in_shape)
        counts = np.zeros((B, 10))
        total = a.steps + (a.drain if mode == "chip" else 0)
        for t in range(total):
            inp = spikes[t] if t < a.steps else np.zeros((B, 784))
            src = inp.reshape((B,) + in_shape)
            new = []
            for k, (ops, l) in enumerate(stages):
                if mode == "chip":
                    # one-step delay: stage k reads what stage k-1 (or the input) emitted at t-1
                    I = linear(ops, last_in if k == 0 else prev[k - 1]) if t > 0 else 0.0
                    vv = beta[k] * v[k] + gain[k] * I
                    s = (vv > th[k]).astype(np.float64)
                    v[k] = vv - s * th[k]
                else:
                    I = linear(ops, src)
                    reset = (v[k] > th[k]).astype(np.float64)
                    vv = beta[k] * v[k] + gain[k] * I - reset * th[k]
                    s = (vv > th[k]).astype(np.float64)
                    v[k] = vv
                    src = s
                new.append(s)
            if mode == "chip":
                last_in = src
            prev = new
            counts += new[-1].reshape(B, -1)
        pred = counts.argmax(axis=1)
        correct = (pred == y) & (counts.max(axis=1) > 0)
        print(f"{mode}: float accuracy {100 * correct.mean():.2f} % on {B} MNIST-5k test samples, T = {a.steps}"
              + (f" (+{a.drain} silent steps)" if mode == "chip" and a.drain else ""))


if __name__ == "__main__":
    main()
