#!/bin/sh
# Reruns every validation workload of docs/VALIDATION.md and prints chipsim's predictions beside
# the published silicon figures. Needs a release build and python3 (for reading report.json):
#
#     swift build -c release && scripts/validate.sh
#
# Outputs go to runs/validation/<config>/ (report.json, and report-sanafe.json re-costed with
# the loihi-sanafe profile).
set -e
CHIPSIM=${CHIPSIM:-.build/release/chipsim}
OUT=${OUT:-runs/validation}
mkdir -p "$OUT"
for c in configs/validation/*.json; do
    n=$(basename "$c" .json)
    "$CHIPSIM" run "$c" --out "$OUT/$n" --overwrite --quiet > /dev/null
    "$CHIPSIM" cost "$OUT/$n/report.json" --energy loihi-sanafe --out "$OUT/$n/report-sanafe.json" > /dev/null
done
python3 - "$OUT" <<'EOF'
import json, sys
out = sys.argv[1]
def rep(n, sanafe=False):
    return json.load(open(f"{out}/{n}/report{'-sanafe' if sanafe else ''}.json"))
def dyn(r): return r["energy"]["dynamicPicojoules"]
# The chip's own dynamic energy: without the host link that streams the input spikes in.
def chip(r): return dyn(r) - sum(r["energy"]["byAction"][a] for a in ("host.io.bytes", "host.flop", "host.dram.bytes"))
def cyc(r): return r["cycles"]["total"]
def cnt(r, a): return r["counts"][a]
def row(what, published, value, unit):
    dev = (value - published) / published * 100
    print(f"  {what:<44} {published:>10.4g} {value:>12.4g} {unit:<4} {dev:+7.1f} %")

print("V1  Loihi per-operation figures (Davies et al., IEEE Micro 2018, Table 2) from micro-workload pairs")
print(f"  {'figure':<44} {'published':>10} {'chipsim':>12}      deviation")
on, off = rep("davies-synop-on"), rep("davies-synop-off")
ds = cnt(on, "synop") - cnt(off, "synop")
row("energy per synaptic op (pJ)", 23.6, (chip(on) - chip(off)) / ds, "pJ")
row("time per synaptic op (ns, 1 GHz)", 3.5, (cyc(on) - cyc(off)) / ds, "ns")
a, b = rep("davies-neuron-idle-256"), rep("davies-neuron-idle-128")
dn = cnt(a, "neuron.idle") - cnt(b, "neuron.idle")
row("energy per inactive neuron update (pJ)", 52, (chip(a) - chip(b)) / dn, "pJ")
row("time per inactive neuron update (ns)", 5.3, (cyc(a) - cyc(b)) / dn, "ns")
act = rep("davies-neuron-active-256")
da = cnt(act, "neuron.active")
row("energy per active neuron update (pJ)", 81, 52 + (chip(act) - chip(a)) / da, "pJ")
row("time per active neuron update (ns)", 8.4, (cyc(act) - cyc(a)) / da + (cyc(a) - cyc(b)) / dn, "ns")
# A hop against a within-tile spike on the same mesh (same barrier): add back the within-tile
# spike's own figures (Davies: 1.7 pJ, 2.1 ns; chipsim's table 1.7 pJ and 2 cycles).
local_pj, local_cycles = 1.7, 2
for d, pub_e, pub_t in [("ew", 3.0, 4.1), ("ns", 4.0, 6.5)]:
    h, l = rep(f"davies-hop-{d}"), rep(f"davies-hop-{d}-local")
    n = cnt(h, f"hop.{d}")
    row(f"energy per hop, {d.upper()} (pJ)", pub_e, (chip(h) - chip(l)) / n + local_pj, "pJ")
    row(f"time per hop, {d.upper()} (ns)", pub_t, (cyc(h) - cyc(l)) / n + local_cycles, "ns")

def training(n, sanafe=False):
    r = rep(n, sanafe)
    t = r["training"]
    e = t["trainEnergy"]
    test_samples = sum(x["testSamples"] for x in t["epochs"])
    test_cycles = sum(x["testCycles"] for x in t["epochs"])
    inf_e = (r["energy"]["totalPicojoules"] - e["totalPicojoules"]) / test_samples
    return dict(train_e=e["perSamplePicojoules"], train_dyn=e["dynamicPicojoules"] / t["trainSamples"],
                train_t=t["trainSimulatedSeconds"] / t["trainSamples"], inf_e=inf_e,
                inf_t=test_cycles / 1e9 / test_samples, acc=t["finalTestAccuracy"], cores=r["summary"]["coresUsed"],
                hops=cnt(r, "hop.ew") + cnt(r, "hop.ns"))

for n, title, pub in [
    ("renner-mnist", "V2  Renner et al. 2024 (Nat. Commun. 15:9691, Table 1): on-chip nBP, 400-400-10, Loihi",
     dict(train_e=0.59e9, train_t=1.5e-3, inf_e=0.0025e9, inf_t=0.17e-3, acc=0.963)),
    ("lin-stdp-mnist", "V3  Lin et al. 2018 as listed by Renner et al. 2024, Table 1: S-STDP, 1920-10, Loihi",
     dict(train_e=0.553e9, inf_e=0.0128e9, acc=0.964))]:
    print()
    print(title)
    m, s = training(n), training(n, True)
    print(f"  chipsim workload: configs/validation/{n}.json, {m['cores']} cores, {m['hops']} spike hops; test accuracy {m['acc']*100:.1f} % (published {pub['acc']*100:.1f} %)")
    print(f"  {'figure':<44} {'published':>10} {'loihi':>12} {'loihi-sanafe':>13}   deviation (loihi)")
    def r2(what, key, scale, unit):
        if key not in pub: return
        p, v, w = pub[key] * scale, m[key] * scale, s[key] * scale
        print(f"  {what:<44} {p:>10.4g} {v:>12.4g} {w:>13.4g} {unit:<3} {(v - p) / p * 100:+8.1f} %")
    r2("training energy per sample (uJ)", "train_e", 1e-6, "uJ")
    r2("training latency per sample (ms)", "train_t", 1e3, "ms")
    r2("inference energy per sample (uJ)", "inf_e", 1e-6, "uJ")
    r2("inference latency per sample (ms)", "inf_t", 1e3, "ms")

print()
print("V4  ODIN (Frenkel et al., IEEE TBioCAS 2019, abstract): MNIST inference, 10-neuron single layer, 0.55 V")
r = rep("odin-mnist")
samples = r["summary"]["samples"]
print(f"  chipsim workload: configs/validation/odin-mnist.json (odin profile), {samples} test samples, "
      f"{r['counts']['synop'] / samples:.0f} synaptic ops and {r['summary']['spikesPerLayer']['input'] / samples:.0f} input spikes per sample")
print(f"  {'figure':<44} {'published':>10} {'chipsim':>12}      deviation")
row("chip energy per inference, host link excluded (nJ)", 15, chip(r) / samples / 1e3, "nJ")
EOF
