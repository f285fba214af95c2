# One-off generator of configs/data/association-{images,labels}.idx (committed; not run by
# chipsim or its tests): 400 4x4 images, class c (0..3) lights row c at intensity 200,
# 100 images per class, interleaved (label = index % 4). Unsigned-byte IDX (magic 0x0803/0x0801).
import struct
n = 400
imgs = bytearray(struct.pack(">IIII", 0x00000803, n, 4, 4))
labs = bytearray(struct.pack(">II", 0x00000801, n))
for i in range(n):
    c = i % 4
    for r in range(4):
        for col in range(4):
            imgs.append(200 if r == c else 0)
    labs.append(c)
open("configs/data/association-images.idx", "wb").write(imgs)
open("configs/data/association-labels.idx", "wb").write(labs)
