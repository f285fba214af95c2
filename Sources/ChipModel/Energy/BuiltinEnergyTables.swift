// The built-in "loihi" energy table. It must equal configs/energy/loihi.json byte for byte
// (a test checks this), so that `"energyTable": "loihi"` works from any directory.

public enum BuiltinEnergyTables {
    public static let loihiJSON = #"""
{
  "name": "loihi",
  "description": "Intel Loihi energy per action at 0.75 V. Published figures: M. Davies et al., 'Loihi: A Neuromorphic Manycore Processor with On-Chip Learning', IEEE Micro 38(1), 2018, Table 2. Entries marked assumption are not published there and were chosen as stated in their source field.",
  "staticWattsPerCore": 0,
  "actions": {
    "synop": {"picojoules": 23.6, "source": "Davies et al. 2018, Table 2: synaptic spike operation (includes the synapse SRAM read)", "assumption": false},
    "neuron.active": {"picojoules": 81, "source": "Davies et al. 2018, Table 2: neuron update, active", "assumption": false},
    "neuron.idle": {"picojoules": 52, "source": "Davies et al. 2018, Table 2: neuron update, inactive", "assumption": false},
    "spike.local": {"picojoules": 1.7, "source": "Davies et al. 2018, Table 2: within-tile spike energy", "assumption": false},
    "hop.ew": {"picojoules": 3.0, "source": "Davies et al. 2018, Table 2: energy per tile hop, east-west (per flit)", "assumption": false},
    "hop.ns": {"picojoules": 4.0, "source": "Davies et al. 2018, Table 2: energy per tile hop, north-south (per flit)", "assumption": false},
    "barrier": {"picojoules": 7.0, "source": "assumption: one barrier token in and out of each tile per step, costed as two east-west-like hops (2 x 3.5 pJ); Loihi publishes barrier time (113-465 ns) but not energy", "assumption": true},
    "sram.read.bits": {"picojoules": 0, "source": "counted for memory traffic; its energy is already inside the synop, neuron-update and synaptic-update figures, so 0 avoids double counting", "assumption": true},
    "sram.write.bits": {"picojoules": 0, "source": "as sram.read.bits", "assumption": true},
    "plast.synapse": {"picojoules": 40, "source": "assumption, calibrated: the 10-instruction STDP synapse program (OnChipLearning/Rules/STDPRule) costs 40 + 10 x 8 = 120 pJ per executed synapse, Davies et al. 2018 Table 2 (synaptic update, STDP: 120 pJ); SRAM bits cost 0 here (see sram.read.bits); docs/MICROCODE.md section 9", "assumption": true},
    "plast.instr": {"picojoules": 8, "source": "assumption, calibrated with plast.synapse (see there): one 32-bit ALU operation with register-file access", "assumption": true},
    "trace.update": {"picojoules": 8, "source": "assumption: one 12x8-bit multiply-add and a register write, costed like one microcode instruction (Loihi publishes no separate figure)", "assumption": true},
    "prng.draw": {"picojoules": 1.0, "source": "assumption: one 64-bit draw of a hardware PRNG (a few xorshift/multiply rounds)", "assumption": true},
    "mod.broadcast": {"picojoules": 3.0, "source": "assumption: one modulatory value written to a core's neuron registers, costed like a hop", "assumption": true},
    "host.io.bytes": {"picojoules": 100, "source": "assumption: off-chip host link about 12.5 pJ/bit (FPGA/USB class host interface)", "assumption": true},
    "host.flop": {"picojoules": 1.0, "source": "assumption: placeholder host FP32 operation; host profiles in configs/host/ replace it", "assumption": true},
    "host.dram.bytes": {"picojoules": 20, "source": "assumption: placeholder DRAM access about 2.5 pJ/bit; host profiles in configs/host/ replace it", "assumption": true}
  }
}
"""#

    public static func named(_ name: String) throws -> EnergyTable? {
        switch name {
        case "loihi": return try EnergyTable(json: JSONValue.parse(loihiJSON, file: "<builtin loihi>"), file: "<builtin loihi>")
        default: return nil
        }
    }
}
