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
    "plast.synapse": {"picojoules": 60, "source": "assumption, calibrated: with plast.instr, the 6-instruction STDP synapse program costs 60 + 6 x 10 = 120 pJ per synaptic update, Davies et al. 2018 Table 2 (synaptic update, STDP: 120 pJ)", "assumption": true},
    "plast.instr": {"picojoules": 10, "source": "assumption, calibrated with plast.synapse (see there)", "assumption": true},
    "trace.update": {"picojoules": 2.0, "source": "assumption: one 8-bit decay-and-add in the learning engine, about a tenth of a synaptic op", "assumption": true},
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
