// The built-in energy tables ("chip profiles"). Each must equal its file in configs/energy/
// byte for byte (a test checks this), so that `"energyTable": "loihi"` or `chipsim cost
// --energy loihi-sanafe` works from any directory.

public enum BuiltinEnergyTables {
    public static let loihiJSON = #"""
{
  "name": "loihi",
  "description": "Intel Loihi energy per action at 0.75 V. Published figures: M. Davies et al., 'Loihi: A Neuromorphic Manycore Processor with On-Chip Learning', IEEE Micro 38(1), 2018, Table 2. Entries marked assumption are not published there and were chosen as stated in their source field.",
  "staticWattsPerCore": 0.0001,
  "staticCores": "used",
  "staticSource": "assumption: 0.1 mW of leakage per powered core (12.8 mW for all 128 cores of a chip). Davies et al. 2018 publish per-operation energies, not leakage; no per-core static figure was found. The order of magnitude is chosen so that a chip's leakage stays below the ~15 mW average power implied by Renner et al. 2024 (Nature Communications 15:9691, Table 1: 2.5 uJ per inference in 0.17 ms on Loihi). Only cores that hold neurons are charged (staticCores: used), i.e. unused cores are assumed power-gated; set \"all\" to charge every core of the mesh.",
  "staticAssumption": true,
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
    "host.dram.bytes": {"picojoules": 20, "source": "assumption: placeholder DRAM access about 2.5 pJ/bit; host profiles in configs/host/ replace it", "assumption": true},
    "graded.mac.bits": {"picojoules": 2.95, "source": "assumption: a synop (Davies et al. 2018, Table 2: 23.6 pJ, synapse SRAM read included) reads one weight of at most 8 bits and accumulates it; a graded delivery reading wider stored values (the 32-bit feedback registers of g = M e) is charged per bit read, 23.6 / 8 pJ, so a 32-bit read and multiply-accumulate costs 4 synops; the multiplier (a 16-bit graded value instead of a spike) is not charged separately", "assumption": true},
    "reduce.op": {"picojoules": 2.0, "source": "assumption: one 64-bit magnitude compare-and-keep (or add) in a core's reducer on a value streamed from the accumulation buffer, without instruction fetch or register-file access: a quarter of plast.instr (8 pJ, one 32-bit ALU operation with register-file access)", "assumption": true}
  }
}
"""#

    public static let loihiSanafeJSON = #"""
{
  "name": "loihi-sanafe",
  "description": "Intel Loihi as calibrated by SANA-FE against measurements of the chip: per-activity energies of SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml). Learning, barrier, host and static entries are not in that file and are taken from chipsim's 'loihi' table (Davies et al. 2018 and the assumptions stated there).",
  "staticWattsPerCore": 0.0001,
  "staticCores": "used",
  "staticSource": "as the 'loihi' table: assumption: 0.1 mW of leakage per powered core (12.8 mW for all 128 cores of a chip). Davies et al. 2018 publish per-operation energies, not leakage; no per-core static figure was found. The order of magnitude is chosen so that a chip's leakage stays below the ~15 mW average power implied by Renner et al. 2024 (Nature Communications 15:9691, Table 1: 2.5 uJ per inference in 0.17 ms on Loihi). Only cores that hold neurons are charged (staticCores: used), i.e. unused cores are assumed power-gated; set \"all\" to charge every core of the mesh.",
  "staticAssumption": true,
  "actions": {
    "synop": {"picojoules": 35.5, "source": "SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): synapse energy_spike 35.5 pJ per synapse look-up (calibrated against Loihi measurements; memory energy 0)", "assumption": false},
    "neuron.active": {"picojoules": 72.8, "source": "SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): soma energy_active 72.8 pJ (the file's separate energy_spiking 69.3 pJ for a spiking update is not modelled: chipsim has one active-update action)", "assumption": false},
    "neuron.idle": {"picojoules": 51.2, "source": "SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): soma energy_inactive 51.2 pJ", "assumption": false},
    "spike.local": {"picojoules": 76.8, "source": "assumption from SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): axon_out energy 76.8 pJ per spike message; chipsim has no per-message action, so it is charged here only for same-tile deliveries (SANA-FE's spike_within_tile energy is 0); messages to other tiles pay only the hops, i.e. are under-costed by 76.8 pJ each", "assumption": true},
    "hop.ew": {"picojoules": 3.0, "source": "SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): energy_east / energy_west 3.0 pJ", "assumption": false},
    "hop.ns": {"picojoules": 4.2, "source": "SANA-FE Loihi architecture file (J. A. Boyle et al., 'SANA-FE: Simulating Advanced Neuromorphic Architectures for Fast Exploration', IEEE TCAD 2025, doi:10.1109/TCAD.2025.3537971; github.com/SLAM-Lab/SANA-FE arch/loihi.yaml): energy_north / energy_south 4.2 pJ", "assumption": false},
    "barrier": {"picojoules": 7.0, "source": "as the 'loihi' table: assumption: one barrier token in and out of each tile per step, costed as two east-west-like hops (2 x 3.5 pJ); Loihi publishes barrier time (113-465 ns) but not energy", "assumption": true},
    "sram.read.bits": {"picojoules": 0, "source": "as the 'loihi' table: counted for memory traffic; its energy is already inside the synop, neuron-update and synaptic-update figures, so 0 avoids double counting", "assumption": true},
    "sram.write.bits": {"picojoules": 0, "source": "as the 'loihi' table: as sram.read.bits", "assumption": true},
    "plast.synapse": {"picojoules": 40, "source": "as the 'loihi' table: assumption, calibrated: the 10-instruction STDP synapse program (OnChipLearning/Rules/STDPRule) costs 40 + 10 x 8 = 120 pJ per executed synapse, Davies et al. 2018 Table 2 (synaptic update, STDP: 120 pJ); SRAM bits cost 0 here (see sram.read.bits); docs/MICROCODE.md section 9", "assumption": true},
    "plast.instr": {"picojoules": 8, "source": "as the 'loihi' table: assumption, calibrated with plast.synapse (see there): one 32-bit ALU operation with register-file access", "assumption": true},
    "trace.update": {"picojoules": 8, "source": "as the 'loihi' table: assumption: one 12x8-bit multiply-add and a register write, costed like one microcode instruction (Loihi publishes no separate figure)", "assumption": true},
    "prng.draw": {"picojoules": 1.0, "source": "as the 'loihi' table: assumption: one 64-bit draw of a hardware PRNG (a few xorshift/multiply rounds)", "assumption": true},
    "mod.broadcast": {"picojoules": 3.0, "source": "as the 'loihi' table: assumption: one modulatory value written to a core's neuron registers, costed like a hop", "assumption": true},
    "host.io.bytes": {"picojoules": 100, "source": "as the 'loihi' table: assumption: off-chip host link about 12.5 pJ/bit (FPGA/USB class host interface)", "assumption": true},
    "host.flop": {"picojoules": 1.0, "source": "as the 'loihi' table: assumption: placeholder host FP32 operation; host profiles in configs/host/ replace it", "assumption": true},
    "host.dram.bytes": {"picojoules": 20, "source": "as the 'loihi' table: assumption: placeholder DRAM access about 2.5 pJ/bit; host profiles in configs/host/ replace it", "assumption": true},
    "graded.mac.bits": {"picojoules": 4.4375, "source": "assumption, as the 'loihi' table but from this table's synop: 35.5 / 8 pJ per bit of a stored value read and multiply-accumulated by a graded delivery (a 32-bit feedback register costs 4 synops)", "assumption": true},
    "reduce.op": {"picojoules": 2.0, "source": "as the 'loihi' table: assumption: one 64-bit magnitude compare-and-keep (or add) in a core's reducer on a value streamed from the accumulation buffer, without instruction fetch or register-file access: a quarter of plast.instr (8 pJ, one 32-bit ALU operation with register-file access)", "assumption": true}
  }
}
"""#

    public static let odinJSON = #"""
{
  "name": "odin",
  "description": "ODIN, a 256-neuron 64k-synapse online-learning digital spiking processor (one core, 28-nm FDSOI CMOS): C. Frenkel, M. Lefebvre, J.-D. Legat, D. Bol, 'A 0.086-mm2 12.7-pJ/SOP 64k-Synapse 256-Neuron Online-Learning Digital Spiking Neuromorphic Processor in 28-nm CMOS', IEEE TBioCAS 13(1):145-158, 2019, doi:10.1109/TBCAS.2018.2880425, arXiv:1804.07858. Its one published per-operation energy is the synaptic operation (12.7 pJ); every other entry is marked assumption with its reasoning (ODIN-specific where the paper's architecture gives one, else the 'loihi' table's figure).",
  "staticWattsPerCore": 0,
  "staticCores": "used",
  "staticSource": "assumption: no separate static power. The 12.7 pJ per SOP is ODIN's minimum energy per SOP (title and abstract, p. 145), taken here as whole-chip energy per SOP at the operating point where it was measured, leakage and clock included, so leakage is not charged again; runs with few SOPs per second are therefore under-costed (leakage is not spread over idle time).",
  "staticAssumption": true,
  "actions": {
    "synop": {"picojoules": 12.7, "source": "Frenkel et al. 2019 (ODIN), title and abstract (p. 145): minimum energy per synaptic operation (SOP) 12.7 pJ, measured on the 28-nm FDSOI chip (the minimum over its supply range; the abstract's MNIST figure is at 0.55 V). An ODIN SOP reads a synapse of the crossbar and updates the post-synaptic neuron's state with it, the work of one chipsim synop on a spike", "assumption": false},
    "neuron.active": {"picojoules": 6.35, "source": "assumption: half an SOP (12.7 / 2 pJ). ODIN publishes no separate energy per neuron update: its neurons are updated inside the SOPs and by time-reference (leak) events, each a read-modify-write of the neuron state without the synapse read; half of the SOP figure is charged for that read-modify-write", "assumption": true},
    "neuron.idle": {"picojoules": 0, "source": "assumption: ODIN is event-driven; a neuron at rest with no input is not visited unless leak events are sent, and a neuron at rest does not need them. chipsim's idle update costs nothing under this profile", "assumption": true},
    "spike.local": {"picojoules": 1.7, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): Davies et al. 2018, Table 2: within-tile spike energy", "assumption": true},
    "hop.ew": {"picojoules": 3.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): Davies et al. 2018, Table 2: energy per tile hop, east-west; ODIN is a single core without a network on chip, so a multi-core run under this profile is a hypothetical mesh of ODIN cores", "assumption": true},
    "hop.ns": {"picojoules": 4.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): Davies et al. 2018, Table 2: energy per tile hop, north-south; ODIN has no network on chip (see hop.ew)", "assumption": true},
    "barrier": {"picojoules": 7.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: one barrier token in and out of each tile per step, costed as two east-west-like hops (2 x 3.5 pJ); Loihi publishes barrier time (113-465 ns) but not energy", "assumption": true},
    "sram.read.bits": {"picojoules": 0, "source": "assumption: counted for memory traffic; the synapse and neuron SRAM accesses are inside the SOP figure, so 0 avoids double counting", "assumption": true},
    "sram.write.bits": {"picojoules": 0, "source": "assumption: as sram.read.bits", "assumption": true},
    "plast.synapse": {"picojoules": 12.7, "source": "assumption: one more SOP-like read-modify-write of the synapse word per learning visit. ODIN's spike-driven synaptic plasticity (SDSP) updates a synapse inside its SOP pipeline (Frenkel et al. 2019, abstract, p. 145: on-chip SDSP online learning); the paper's abstract gives no separate energy per synaptic update", "assumption": true},
    "plast.instr": {"picojoules": 8, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption, calibrated with plast.synapse (see there): one 32-bit ALU operation with register-file access", "assumption": true},
    "trace.update": {"picojoules": 8, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: one 12x8-bit multiply-add and a register write, costed like one microcode instruction (Loihi publishes no separate figure)", "assumption": true},
    "prng.draw": {"picojoules": 1.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: one 64-bit draw of a hardware PRNG (a few xorshift/multiply rounds)", "assumption": true},
    "mod.broadcast": {"picojoules": 3.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: one modulatory value written to a core's neuron registers, costed like a hop", "assumption": true},
    "graded.mac.bits": {"picojoules": 1.5875, "source": "assumption, as the 'loihi' table but from this table's synop: 12.7 / 8 pJ per bit of a stored value read and multiply-accumulated by a graded delivery (a 32-bit feedback register costs four SOPs); ODIN has no graded delivery", "assumption": true},
    "reduce.op": {"picojoules": 2.0, "source": "as the 'loihi' table (no ODIN figure): assumption: one 64-bit magnitude compare-and-keep (or add) in a core's reducer", "assumption": true},
    "host.io.bytes": {"picojoules": 100, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: off-chip host link about 12.5 pJ/bit (FPGA/USB class host interface)", "assumption": true},
    "host.flop": {"picojoules": 1.0, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: placeholder host FP32 operation; host profiles in configs/host/ replace it", "assumption": true},
    "host.dram.bytes": {"picojoules": 20, "source": "as the 'loihi' table (no ODIN figure; a Loihi figure, Davies et al. 2018 or chipsim's assumption, stands in): assumption: placeholder DRAM access about 2.5 pJ/bit; host profiles in configs/host/ replace it", "assumption": true}
  }
}
"""#

    /// Profile name -> JSON text, in the order `chipsim cost --help` lists them.
    public static let all: [(name: String, json: String)] = [("loihi", loihiJSON), ("loihi-sanafe", loihiSanafeJSON), ("odin", odinJSON)]

    public static func named(_ name: String) throws -> EnergyTable? {
        guard let t = all.first(where: { $0.name == name }) else { return nil }
        return try EnergyTable(json: JSONValue.parse(t.json, file: "<builtin \(name)>"), file: "<builtin \(name)>")
    }
}
