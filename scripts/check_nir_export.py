# Developer check (not run by chipsim, swift test or CI): loads a NIR file written by
# `chipsim export` with the reference Python reader (the nir package, which reads HDF5 through
# h5py) and prints what it found. Exit status 0 when the file loads and type-checks.
#
#   python3 -m venv /tmp/nirenv && /tmp/nirenv/bin/pip install nir h5py
#   chipsim run configs/quickstart.json --out runs/quick
#   chipsim export runs/quick --nir quick.nir
#   /tmp/nirenv/bin/python scripts/check_nir_export.py quick.nir
#
# It checks: nir.read(file) succeeds with type checking on (every edge's shapes agree); the
# version string; every node's type and parameter shapes; the chipsim_* metadata is present.
import sys

import h5py
import nir
import numpy as np


def main(path):
    graph = nir.read(path, type_check=True)
    with h5py.File(path, "r") as f:
        version = f["version"][()].decode("utf8")
    print(f"{path}: nir {nir.version} read it: NIR version {version}, {len(graph.nodes)} nodes, {len(graph.edges)} edges")
    for name, node in sorted(graph.nodes.items()):
        params = {k: np.shape(v) for k, v in node.to_dict().items() if isinstance(v, np.ndarray)}
        meta = sorted(node.metadata) if isinstance(node.metadata, dict) else []
        print(f"  {name}: {type(node).__name__} {params}" + (f" metadata {meta}" if meta else ""))
    for a, b in graph.edges:
        print(f"  edge {a} -> {b}")
    inputs = [n for n in graph.nodes.values() if isinstance(n, nir.Input)]
    outputs = [n for n in graph.nodes.values() if isinstance(n, nir.Output)]
    assert len(inputs) == 1 and len(outputs) == 1, "expected one Input and one Output"
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__ or "usage: check_nir_export.py FILE.nir", file=sys.stderr)
        sys.exit(64)
    sys.exit(main(sys.argv[1]))
