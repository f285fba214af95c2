// The built-in host profiles. Each must equal its file in configs/host/ byte for byte (a test
// checks this), so that a run's declared host steps (docs/LEARNING.md, "Host steps") are costed
// from any directory and `chipsim cost --host cpu-server` works without the file.

import ChipModel

public enum BuiltinHostProfiles {
    public static let cpuServerJSON = #"""
{
  "name": "cpu-server",
  "description": "A two-socket-class server CPU of the Intel Xeon Platinum 8380 (Ice Lake, 40 cores) class running the float twin. Energy per FLOP is package power over peak FP32 rate; DRAM is DDR4 access energy added on top. Estimates from public specifications, not measurements.",
  "figures": {
    "picojoulesPerFlop": {"value": 92, "unit": "pJ/FLOP", "source": "Intel Xeon Platinum 8380: 270 W TDP; peak FP32 = 40 cores x 2.3 GHz x 32 FLOP/cycle (2 AVX-512 FMA units x 16 lanes x 2) = 2.94 TFLOP/s; 270 / 2.94e12 = 92 pJ/FLOP. Assumption: package power attributed to FLOPs.", "assumption": true},
    "picojoulesPerDRAMByte": {"value": 160, "unit": "pJ/byte", "source": "DDR4 access about 20 pJ/bit including I/O (Horowitz, ISSCC 2014: 1.3-2.6 nJ per 64-bit DRAM access at 45 nm, i.e. 20-40 pJ/bit; lower end taken for DDR4) x 8 bits.", "assumption": true},
    "linkPicojoulesPerByte": {"value": 80, "unit": "pJ/byte", "source": "Assumption: host <-> neuromorphic-chip link is a PCIe/FPGA-bridge class serial link at about 10 pJ/bit.", "assumption": true},
    "linkBytesPerSecond": {"value": 1e9, "unit": "bytes/s", "source": "Assumption: 1 GB/s effective host <-> chip bandwidth.", "assumption": true},
    "peakFlopsPerSecond": {"value": 2.94e12, "unit": "FLOP/s", "source": "Intel Xeon Platinum 8380 (see picojoulesPerFlop): 2.94 TFLOP/s FP32 peak.", "assumption": false},
    "dramBytesPerSecond": {"value": 2.048e11, "unit": "bytes/s", "source": "8 channels DDR4-3200 x 25.6 GB/s = 204.8 GB/s per socket (Intel ARK).", "assumption": false},
    "utilisation": {"value": 0.1, "unit": "fraction of peak", "source": "Assumption: the twin's event-driven kernels vectorise poorly; on this project's 2-core machine one core sustains about 2.7 GFLOP/s of counted twin FLOPs (BPTT 2,000 samples/s x 1.34 MFLOP), about 7 % of that core's AVX-512 peak; 10 % taken (time model only).", "assumption": true}
  }
}
"""#

    /// The profile a run costs its host steps with: cpu-server (Xeon Platinum 8380 class;
    /// figures and their sources in configs/host/cpu-server.json). A neuromorphic board's host
    /// is a general-purpose CPU, and the host steps are scalar integer work, so the CPU rather
    /// than the GPU profile; `chipsim cost --host` re-costs with another.
    public static let defaultName = "cpu-server"

    public static var `default`: HostProfile { try! named(defaultName)! }

    /// The built-in profile called `name`, or nil.
    public static func named(_ name: String) throws -> HostProfile? {
        switch name {
        case "cpu-server": return try HostProfile(json: JSONValue.parse(cpuServerJSON, file: "<built-in cpu-server>"), file: "<built-in cpu-server>")
        default: return nil
        }
    }
}
