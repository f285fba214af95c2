# Generates the newest-format HDF5 fixtures (superblock v3, v2 object headers, link messages,
# layout v4 with compact, contiguous and single-chunk storage, shuffle + deflate + fletcher32)
# with h5py (the HDF5 library) and libver=("v114", "v114"). Run once with h5py 3.16; not part of tests.
# Then: python dump_expected.py latest_format.h5 (with .nir replaced by .h5) for the summaries.
import h5py, numpy as np
# Newest HDF5 file format: superblock v3, v2 object headers, link messages, layout v4.
with h5py.File("latest_format.h5", "w", libver=("v114", "v114")) as f:
    f.create_dataset("version", data="1.0.8", dtype=h5py.string_dtype())
    g = f.create_group("node")
    g.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    n = g.create_group("nodes")
    a = n.create_group("lif")
    a.create_dataset("tau", data=np.linspace(0.001, 0.002, 5, dtype=np.float32))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    d = h5py.h5d.create(a.id, b"compact", h5py.h5t.STD_I32LE, h5py.h5s.create_simple((3,)), dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([7, -8, 9], dtype=np.int32))
    a.create_dataset("w", data=np.arange(12, dtype=np.float64).reshape(3, 4) / 7, chunks=(3, 4), compression="gzip")
    a.create_dataset("flags", data=np.array([True, False, True]))
    a.create_dataset("fixed", data=np.array([b"abc", b"de"], dtype="S4"))
    a.create_dataset("shuffled", data=np.arange(10, dtype=np.int64) * -3, chunks=(10,), shuffle=True, compression="gzip", fletcher32=True)
    g.create_dataset("edges", data=np.array([["in", "lif"], ["lif", "out"]], dtype=object), dtype=h5py.string_dtype())
with h5py.File("latest_fixed_array.h5", "w", libver=("v114", "v114")) as f:
    f.create_dataset("w", data=np.arange(100, dtype=np.float32), chunks=(10,), compression="gzip")
