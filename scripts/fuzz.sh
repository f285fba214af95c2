#!/usr/bin/env bash
# CLI-driven fuzzing of chipsim's input readers: mutates shipped configs, microcode, rule
# strings, AER traces (binary and CSV), spike lists and IDX files (plain and gzip), runs the
# built binary on each, and reports every run that ended by a signal (exit code >= 128:
# a Swift trap is SIGILL / SIGTRAP, 132 / 133; an allocation over the memory cap aborts,
# 134). Runs that hit the time limit are kept and counted, not failed. A clean error
# (exit 1 or 2) or success is fine. Complements the fast fuzz tests in `swift test`
# (Tests/*/Fuzz*.swift); see docs/LIMITS.md for the limits being exercised.
#
# Usage:
#   swift build -c release            # or debug: set CHIPSIM=.build/debug/chipsim
#   scripts/fuzz.sh [ITERATIONS] [SEED]      # defaults: 200 iterations, seed 1
#   CHIPSIM=path/to/chipsim FUZZ_TIMEOUT=20 FUZZ_MEMORY_KB=4000000 scripts/fuzz.sh 1000 7
#
# Each iteration picks a seed input and a mutation (truncation, bit flip, random byte,
# extreme number or tricky text inserted, span deleted or duplicated) with a generator
# seeded by SEED, so a run is reproducible. Findings are kept in $FUZZ_OUT (default
# /tmp/chipsim-fuzz-SEED/findings) with the command that failed; the script exits 1 if
# there are any. Memory is capped with `ulimit -v` (FUZZ_MEMORY_KB, default 4 GB) so a
# missing resource limit shows up as a crash instead of exhausting the machine.
set -u

iterations=${1:-200}
seed=${2:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
chipsim=${CHIPSIM:-$root/.build/release/chipsim}
timeout_s=${FUZZ_TIMEOUT:-20}
memory_kb=${FUZZ_MEMORY_KB:-4000000}
work=${FUZZ_WORK:-/tmp/chipsim-fuzz-$seed}
findings=${FUZZ_OUT:-$work/findings}

if [[ ! -x $chipsim ]]; then
    echo "fuzz.sh: no chipsim binary at $chipsim (run swift build -c release, or set CHIPSIM)" >&2
    exit 2
fi
command -v python3 > /dev/null || { echo "fuzz.sh: needs python3 for the byte mutations" >&2; exit 2; }
rm -rf "$work"; mkdir -p "$work/seeds" "$findings"

# --- seed inputs ------------------------------------------------------------------------
cp "$root"/configs/quickstart.json "$root"/configs/mesh-4x4.json "$root"/configs/readout-yinyang.json "$work/seeds/" 2> /dev/null
cat > "$work/seeds/stdp.mc" << 'EOF'
; pair STDP
.scope synapse
.gate x0, y0
.const K 4
ld   a0, x1
ld   a1, y0
mul  a2, a0, a1, 0
sh   a2, a2, -K
ld   a3, w
add  a3, a3, a2
st   w, a3
EOF
printf 'dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0\n' > "$work/seeds/rule.txt"
printf 'sample,step,channel\n0,0,1\n0,3,2\n1,2,0\n' > "$work/seeds/spikes.csv"
# A spike-list config next to it (the list is read relative to the config).
cat > "$work/seeds/spikes-config.json" << 'EOF'
{"network": {"layers": [{"name": "in", "kind": "input", "size": 4}, {"name": "h", "size": 3}],
             "connections": [{"from": "in", "to": "h"}]},
 "input": {"kind": "spikes", "file": "spikes.csv"}, "run": {"steps": 8}}
EOF
python3 - "$work/seeds" << 'EOF'
import gzip, struct, sys
d = sys.argv[1]
# IDX: 6 images 2x2 (unsigned bytes) and their labels; a gzip copy of the images.
imgs = struct.pack(">BBBBIII", 0, 0, 8, 3, 6, 2, 2) + bytes(range(24))
open(f"{d}/images.idx", "wb").write(imgs)
open(f"{d}/labels.idx", "wb").write(struct.pack(">BBBBI", 0, 0, 8, 1, 6) + bytes([0, 1, 2, 0, 1, 2]))
open(f"{d}/images.idx.gz", "wb").write(gzip.compress(imgs, mtime=0))
# AER binary trace: 3x1x1 sensor, 2 samples (see traces/README.md).
def le32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def le64(v): return struct.pack("<Q", v)
aer = b"CAER" + struct.pack("<HH", 1, 40) + le32(3) + le32(1) + le32(1) + le32(500) + le32(2) + le32(0) + le64(3)
aer += le32(2) + le32(3) + le64(3) + le32(0) + le32(1) + le32(2) + le32(0) + le32(2) + le32(2)
aer += le32(0xFFFFFFFF) + le32(1) + le64(0)
open(f"{d}/trace.aer", "wb").write(aer)
open(f"{d}/trace.csv", "w").write("chipsim-aer,1,3,1,1,500\nsample,2,3\nevent,0,1,0,0\nevent,2,0,0,0\nevent,2,2,0,0\nsample,,1\n")
EOF
cat > "$work/seeds/idx-config.json" << 'EOF'
{"network": {"layers": [{"name": "in", "kind": "input", "size": 4}, {"name": "out", "size": 3}],
             "connections": [{"from": "in", "to": "out"}]},
 "input": {"kind": "dataset", "dataset": {"kind": "idx", "images": "images.idx.gz", "labels": "labels.idx", "testFraction": 0.5},
           "encoder": {"kind": "rate", "steps": 4}},
 "run": {"steps": 4}}
EOF

# --- mutation ---------------------------------------------------------------------------
# mutate IN OUT RNGSEED: writes a mutated copy of IN to OUT.
mutate() {
    python3 - "$1" "$2" "$3" << 'EOF'
import random, sys
src, dst, s = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = random.Random(s)
b = bytearray(open(src, "rb").read())
if src.endswith(".json") and r.random() < 0.6:
    # Tree mutation: replace a random value by raw JSON text, or drop a key.
    import json
    try:
        tree = json.loads(b)
        nodes = []
        def walk(v):
            if isinstance(v, dict):
                for k in v: nodes.append((v, k)); walk(v[k])
            elif isinstance(v, list):
                for i in range(len(v)): nodes.append((v, i)); walk(v[i])
        walk(tree)
        if nodes:
            for _ in range(1 + r.randrange(2)):
                parent, key = r.choice(nodes)
                if isinstance(parent, dict) and r.random() < 0.25: parent.pop(key, None)
                else: parent[key] = "__RAW__"
            raws = ["1e400", "-1e400", "1e300", "-1e300", "9223372036854775807", "-9223372036854775809", "4294967296",
                    "2147483648", "16777217", "1e-400", "0.5", "-1", "0", "null", "true", "[]", "{}", "[[[]]]",
                    '"\\uD800\\u0041"', '"\\uDC00"', '"../../victim"', '""', '"x"', "1e15", "100000000"]
            text = json.dumps(tree)
            while '"__RAW__"' in text: text = text.replace('"__RAW__"', r.choice(raws), 1)
            open(dst, "w").write(text); sys.exit(0)
    except Exception:
        pass
tricky = [b"1e400", b"-1e400", b"1e300", b"9223372036854775807", b"18446744073709551616", b"\\uD800\\u0041",
          b"\\uDC00", b"\xef\xbb\xbf", b"\r\n", b"[[[[[[[[[[", b"}}}", b"\"", b"null", b"--5", b"0x", b"\xd9\xa5",
          b"4294967296", b"2147483648", b"1048577", b"-1", b",", b"\n", b"10000000,0,0\n", b"\xff\xff\xff\x7f"]
for _ in range(1 + r.randrange(3)):
    op = r.randrange(7)
    if op == 0 and b: b = b[:r.randrange(len(b))]
    elif op == 1 and b: i = r.randrange(len(b)); b[i] ^= 1 << r.randrange(8)
    elif op == 2 and b: b[r.randrange(len(b))] = r.randrange(256)
    elif op == 3: i = r.randrange(len(b) + 1); b[i:i] = r.choice(tricky)
    elif op == 4 and len(b) > 4:
        i = r.randrange(len(b) - 3); w = r.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 1 << 20, 1 << 24, 1 << 31])
        b[i:i+4] = w.to_bytes(4, r.choice(["little", "big"]))
    elif op == 5 and len(b) > 1: i = r.randrange(len(b)); del b[i:i + 1 + r.randrange(16)]
    elif len(b) > 1: i = r.randrange(len(b)); n = 1 + r.randrange(64); b[r.randrange(len(b) + 1):0] = b[i:i+n]
open(dst, "wb").write(bytes(b))
EOF
}

# run NAME CMD...: runs chipsim under the limits; records a finding on a signal (exit >= 128);
# a timeout (exit 124) is counted and kept, but not a failure (a mutated config may be slow).
crashes=0; timeouts=0
run() {
    local name=$1; shift
    ( ulimit -v "$memory_kb"; timeout "$timeout_s" "$@" > "$work/out.txt" 2> "$work/err.txt" )
    local rc=$?
    if (( rc == 124 )); then
        timeouts=$((timeouts + 1)); mkdir -p "$findings/timeout-$name"; printf '%q ' "$@" > "$findings/timeout-$name/command.txt"
        cp -r "$work/case/." "$findings/timeout-$name/" 2> /dev/null
    elif (( rc >= 128 )); then
        crashes=$((crashes + 1))
        local dir="$findings/$name"
        mkdir -p "$dir"; cp -r "$work/case/." "$dir/" 2> /dev/null
        printf '%q ' "$@" > "$dir/command.txt"; echo >> "$dir/command.txt"
        echo "exit $rc" >> "$dir/command.txt"; cp "$work/err.txt" "$dir/stderr.txt"
        echo "FINDING $name: exit $rc (signal $((rc - 128))): $*"
    fi
}

targets=(config mc rule spikes trace-bin trace-csv idx)
start=$(date +%s)
for ((k = 0; k < iterations; k++)); do
    rng=$((seed * 1000003 + k))
    target=${targets[$((rng % ${#targets[@]}))]}
    rm -rf "$work/case"; cp -r "$work/seeds" "$work/case"
    c=$work/case
    case $target in
        config)
            src=$(ls "$c"/*.json | sed -n "$((rng % 5 + 1))p"); [[ -n $src ]] || src=$c/quickstart.json
            mutate "$src" "$src" "$rng"
            run "$k-config" "$chipsim" validate "$src"
            # Only the small configs are run (the shipped ones train for minutes).
            case $src in *spikes-config.json|*idx-config.json) run "$k-config-run" "$chipsim" run "$src" --out "$c/out" --quiet ;; esac ;;
        mc)    mutate "$c/stdp.mc" "$c/stdp.mc" "$rng"; run "$k-mc" "$chipsim" asm "$c/stdp.mc" ;;
        rule)  mutate "$c/rule.txt" "$c/rule.txt" "$rng"; run "$k-rule" "$chipsim" asm --rule "$(tr -d '\0' < "$c/rule.txt")" ;;
        spikes) mutate "$c/spikes.csv" "$c/spikes.csv" "$rng"; run "$k-spikes" "$chipsim" run "$c/spikes-config.json" --out "$c/out" --quiet ;;
        trace-bin) mutate "$c/trace.aer" "$c/trace.aer" "$rng"; run "$k-trace" "$chipsim" trace info "$c/trace.aer" ;;
        trace-csv) mutate "$c/trace.csv" "$c/trace.csv" "$rng"; run "$k-trace-csv" "$chipsim" trace convert "$c/trace.csv" "$c/t2.aer" ;;
        idx)
            f=$(printf '%s\n' images.idx.gz labels.idx | sed -n "$((rng % 2 + 1))p")
            mutate "$c/$f" "$c/$f" "$rng"
            run "$k-idx" "$chipsim" run "$c/idx-config.json" --out "$c/out" --quiet ;;
    esac
done
echo "fuzz.sh: $iterations iterations (seed $seed) in $(( $(date +%s) - start )) s; $crashes crash(es), $timeouts timeout(s); cases in $findings"
(( crashes == 0 ))
