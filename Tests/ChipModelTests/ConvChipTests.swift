import Testing
@testable import ChipModel

/// Shaped connections, recurrence and initial state on a built chip: placement, halo routing,
/// capacity limits, timing.
@Suite struct ConvChipTests {
    /// a (1x4x4, always spiking from its bias) -conv 3x3 pad 1-> b (1x4x4), 8 neurons per core on
    /// a 2x2 mesh of one core per tile: a's rows 0-1 on core 0 (tile 0,0), rows 2-3 on core 1
    /// (tile 1,0); b's rows 0-1 on core 2 (tile 0,1), rows 2-3 on core 3 (tile 1,1).
    func haloConfig(routing: String = "cycle-accurate") throws -> ExperimentConfig {
        try config("""
        {"chip": {"meshWidth": 2, "meshHeight": 2, "noc": {"coresPerTile": 1}, "routing": "\(routing)", "core": {"neurons": 8}},
         "network": {"layers": [{"name": "in", "kind": "input", "shape": [1, 4, 4]},
                                {"name": "a", "shape": [1, 4, 4], "neuron": {"du": 4095, "dv": 4095, "vth": 1, "biasMant": 4095, "biasExp": 7}},
                                {"name": "b", "shape": [1, 4, 4], "neuron": {"du": 4095, "dv": 4095, "vth": 100000}}],
                     "connections": [{"from": "in", "to": "a", "kind": "oneToOne", "init": {"kind": "constant", "value": 0}},
                                     {"from": "a", "to": "b", "kind": "conv2d", "kernel": 3, "padding": 1, "init": {"kind": "constant", "value": 1}}]},
         "run": {"steps": 3}}
        """)
    }

    @Test func haloSpikesGoOnlyToTheCoresThatNeedThemOnA2x2Mesh() throws {
        let chip = try Chip(config: haloConfig())
        #expect(chip.coresOfLayer[1] == [0, 1] && chip.coresOfLayer[2] == [2, 3])
        // b's rows 0-1 (core 2) read a's rows 0-2; rows 2-3 (core 3) read rows 1-3.
        let h = chip.haloRoutes[1][0]!
        #expect(Array(h.destinations(of: 0)) == [2] && Array(h.destinations(of: 4)) == [2, 3])
        #expect(Array(h.destinations(of: 8)) == [2, 3] && Array(h.destinations(of: 15)) == [3])
        // Input axons: 12 a-neurons each for b's cores; a's oneToOne: 8 each.
        #expect(chip.cores[2].inputAxons == 12 && chip.cores[3].inputAxons == 12 && chip.cores[0].inputAxons == 8)
        let sim = Simulator(chip: chip)
        sim.run(source: ListSource(channels: 16, spikes: [[]]))
        // a spikes at every step (bias 4095 << 7 > 64 << 6), all 16 neurons: 3 x 16 = 48 spikes.
        #expect(sim.samples[0].spikesPerLayer[1] == 48)
        // Per step, by hand: core 0 sends row 0 (4 spikes) to core 2 and row 1 (4) to cores 2 and 3;
        // core 1 sends row 2 (4) to cores 2 and 3 and row 3 (4) to core 3: 24 packets, none local.
        // Hops (XY): 0->2 is 1 NS; 0->3 is 1 EW + 1 NS; 1->2 is 1 EW + 1 NS; 1->3 is 1 NS.
        // EW: 4 (0->3) + 4 (1->2) = 8; NS: 8 (0->2) + 4 (0->3) + 4 (1->2) + 8 (1->3) = 24.
        let c = sim.totalCounts
        #expect(c[.hopEW] == 3 * 8 && c[.hopNS] == 3 * 24 && c[.spikeLocal] == 0)
        // The closed-form routing counts the same packets.
        let cf = Simulator(chip: try Chip(config: haloConfig(routing: "closed-form")))
        cf.run(source: ListSource(channels: 16, spikes: [[]]))
        #expect(cf.totalCounts[.hopEW] == 3 * 8 && cf.totalCounts[.hopNS] == 3 * 24)
        // b's synops: a spike of a at step t reaches b at t+1 (steps 1 and 2): every b neuron
        // receives its valid taps: along a 4-wide line with padding 1 a 3-tap kernel has
        // 2+3+3+2 = 10 valid taps, so 10 x 10 = 100 synops per step.
        #expect(c[.synop] == 2 * 100)
        // The halo axons are this core's output axons: core 0 has 4 x 1 + 4 x 2 = 12.
    }

    func capacityConfig(bytes: Int = 131_072, axons: Int = 4096, neurons: Int = 1024, cores: Int = 1) throws -> ExperimentConfig {
        try config("""
        {"chip": {"meshWidth": \(cores), "noc": {"coresPerTile": 1}, "core": {"neurons": \(neurons), "synapseMemoryBytes": \(bytes), "maxInputAxons": \(axons)}},
         "network": {"layers": [{"name": "in", "kind": "input", "shape": [2, 5, 5]},
                                {"name": "c1", "shape": [4, 5, 5]}],
                     "connections": [{"from": "in", "to": "c1", "kind": "conv2d", "kernel": 3, "padding": 1}]}}
        """)
    }

    @Test func convCapacityExactlyAtTheLimitAndOneOver() throws {
        // Synapse memory: the whole layer's 4 kernels of 2x3x3 8-bit weights = 72 bytes.
        #expect(try Chip(config: capacityConfig(bytes: 72)).usedCores.count == 1)
        let over = errorText { _ = try Chip(config: capacityConfig(bytes: 71)) }
        #expect(over.contains("not enough cores") && over.contains("'c1'") && over.contains("71 synapse bytes"))
        // One kernel (18 bytes) per core: 4 cores of 25 neurons at exactly 18 bytes.
        #expect(try Chip(config: capacityConfig(bytes: 18, cores: 4)).usedCores.map(\.synapseBytes) == [18, 18, 18, 18])
        let one = errorText { _ = try Chip(config: capacityConfig(bytes: 17, cores: 4)) }
        #expect(one.contains("layer 'c1' on core 0") && one.contains("18 bytes") && one.contains("synapseMemoryBytes is 17"))
        // Input axons: the whole layer reads all 50 input neurons.
        #expect(try Chip(config: capacityConfig(axons: 50)).usedCores.count == 1)
        let ax = errorText { _ = try Chip(config: capacityConfig(axons: 49)) }
        #expect(ax.contains("not enough cores") && ax.contains("'c1'"))
        // Neuron (0, 0, 0) alone reads a 2x2 window of 2 channels: 8 axons; an interior neuron
        // reads 2 x 3 x 3 = 18: at 18 every core holds at least one neuron, at 17 neuron
        // (0, 1, 1) = 6 fits on no core.
        #expect(try Chip(config: capacityConfig(axons: 18, cores: 64)).usedCores.count > 1)
        let ax1 = errorText { _ = try Chip(config: capacityConfig(axons: 17, cores: 64)) }
        #expect(ax1.contains("layer 'c1' on core") && ax1.contains("neuron 6 needs 18 input axons; chip.core.maxInputAxons is 17"))
        let ax0 = errorText { _ = try Chip(config: capacityConfig(axons: 7, cores: 64)) }
        #expect(ax0.contains("layer 'c1' on core 0: neuron 0 needs 8 input axons; chip.core.maxInputAxons is 7"))
    }

    /// in(1) -> a(1) with weight 8, a -> a (recurrent) with weight 5; u forgets every step
    /// (du = 4095), v does not leak (dv = 0), threshold 10 << 6 = 640, hard reset.
    func recurrentConfig(extra: String = "") throws -> ExperimentConfig {
        try config("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 1},
                                {"name": "a", "size": 1, "neuron": {"du": 4095, "dv": 0, "vth": 10}\(extra)}],
                     "connections": [{"from": "in", "to": "a", "weights": [[8]]},
                                     {"from": "a", "to": "a", "weights": [[5]]}]},
         "run": {"steps": 7}}
        """)
    }

    @Test func recurrentSpikeArrivesOneStepLaterAndTheLIFSequenceMatchesByHand() throws {
        let sim = Simulator(chip: try Chip(config: recurrentConfig()))
        var u: [Int32] = [], v: [Int32] = [], spikes: [Int] = []
        sim.onStep = { _, t in
            let p = sim.chip.cores[0].populations[0]
            u.append(p.state.u[0]); v.append(p.state.v[0])
            if !sim.spikesEmitted(layer: 1).isEmpty { spikes.append(t) }
        }
        // Input spikes at steps 0, 1, 3.
        sim.run(source: ListSource(channels: 1, spikes: [[[0], [0], [], [0]]]))
        // t0: nothing arrives: u = v = 0.
        // t1: input of t0: u = 8 << 6 = 512; v = 512 (not > 640).
        // t2: input of t1: u = 512; v = 1024 > 640: spike, v = 0.
        // t3: a's own spike of t2 (recurrent, one step later): u = 5 << 6 = 320; v = 320.
        // t4: input of t3: u = 512; v = 832 > 640: spike, v = 0.
        // t5: a's spike of t4: u = 320, v = 320. t6: nothing: u = 0, v = 320.
        #expect(u == [0, 512, 512, 320, 512, 320, 0])
        #expect(v == [0, 512, 0, 320, 0, 320, 320])
        #expect(spikes == [2, 4])
    }

    @Test func backwardConnectionToAnEarlierLayerHasTheSameOneStepDelay() throws {
        // in -> a -> b -> a: a spikes at 1 (input at 0), b at 2, a again at 3 from b alone.
        let cfg = try config("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 1},
                                {"name": "a", "size": 1, "neuron": {"du": 4095, "dv": 4095, "vth": 1}},
                                {"name": "b", "size": 1, "neuron": {"du": 4095, "dv": 4095, "vth": 1}}],
                     "connections": [{"from": "in", "to": "a", "weights": [[3]]},
                                     {"from": "a", "to": "b", "weights": [[3]]},
                                     {"from": "b", "to": "a", "weights": [[3]]}]},
         "run": {"steps": 6}}
        """)
        #expect(cfg.network.isRecurrent(cfg.network.connections[2]) && !cfg.network.isRecurrent(cfg.network.connections[1]))
        let sim = Simulator(chip: try Chip(config: cfg))
        var a: [Int] = [], b: [Int] = []
        sim.onStep = { _, t in
            if !sim.spikesEmitted(layer: 1).isEmpty { a.append(t) }
            if !sim.spikesEmitted(layer: 2).isEmpty { b.append(t) }
        }
        sim.run(source: ListSource(channels: 1, spikes: [[[0]]]))
        #expect(a == [1, 3, 5] && b == [2, 4])
    }

    @Test func initialStateScalarAndPerNeuronAndRestoredByReset() throws {
        // dv = 0, du = 0: u decays by (4096 - 1) / 4096 each step; no input, threshold high.
        let cfg = try config("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 2},
                                {"name": "a", "size": 2, "initialU": [4096, -4096], "initialV": 100,
                                 "neuron": {"du": 0, "dv": 0, "vth": 100000}}],
                     "connections": [{"from": "in", "to": "a", "weights": [[0, 0], [0, 0]]}]},
         "run": {"steps": 1}}
        """)
        let sim = Simulator(chip: try Chip(config: cfg))
        let p = sim.chip.cores[0].populations[0]
        #expect(Array(p.state.u) == [4096, -4096] && Array(p.state.v) == [100, 100])
        var seen: [[Int32]] = []
        sim.onStep = { _, _ in seen.append(Array(p.state.u) + Array(p.state.v)) }
        sim.run(source: ListSource(channels: 2, spikes: [[], []]))
        // u' = trunc(4096 * 4095 / 4096) = 4095 (and -4095); v' = 100 + u' (dv = 0: no leak).
        // The second sample starts again from the initial state (reset between samples).
        #expect(seen == [[4095, -4095, 4195, -3995], [4095, -4095, 4195, -3995]])
    }

    @Test func configErrorsNameThePlace() {
        func net(_ layers: String, _ conns: String, learning: String = "") -> String {
            errorText { _ = try config("{\"network\": {\"layers\": [\(layers)], \"connections\": [\(conns)]}\(learning)}") }
        }
        let inp = "{\"name\": \"in\", \"kind\": \"input\", \"shape\": [2, 8, 8]}"
        let c1 = "{\"name\": \"c1\", \"shape\": [4, 8, 8]}"
        #expect(net(inp + "," + c1, "{\"from\": \"in\", \"to\": \"c1\", \"kind\": \"conv2d\", \"kernel\": 3}")
            .contains("gives 4x6x6; 'c1' has shape 4x8x8"))
        #expect(net(inp + "," + c1, "{\"from\": \"in\", \"to\": \"c1\", \"kind\": \"conv2d\", \"kernel\": 3, \"padding\": 1, \"groups\": 3}")
            .contains("$.network.connections[0].groups"))
        #expect(net(inp + "," + c1, "{\"from\": \"in\", \"to\": \"c1\", \"kind\": \"conv2d\", \"kernel\": 3, \"padding\": 1, \"weights\": [1, 2]}")
            .contains("expected 72 weights (OIHW: 4 x 2 x 3 x 3), found 2"))
        #expect(net(inp + "," + "{\"name\": \"c1\", \"shape\": [4, 8, 8], \"size\": 5}", "")
            .contains("size 5 does not match the shape 4x8x8 = 256"))
        #expect(net(inp + "," + "{\"name\": \"p\", \"shape\": [2, 4, 4]}", "{\"from\": \"in\", \"to\": \"p\", \"kind\": \"sumPool\", \"kernel\": 2, \"init\": {\"kind\": \"constant\", \"value\": 1}}")
            .contains("fixed weights"))
        // A learning section on a conv network decodes: whether the rule trains it is checked
        // when the rule is attached (SharedKernelLearningTests).
        #expect(net(inp + "," + c1, "{\"from\": \"in\", \"to\": \"c1\", \"kind\": \"conv2d\", \"kernel\": 3, \"padding\": 1}",
                    learning: ", \"learning\": {\"rule\": \"stdp\"}") == "<no error>")
        let rec = "{\"name\": \"in\", \"kind\": \"input\", \"size\": 2}, {\"name\": \"a\", \"size\": 2}"
        #expect(net(rec, "{\"from\": \"in\", \"to\": \"a\"}, {\"from\": \"a\", \"to\": \"a\"}", learning: ", \"learning\": {\"rule\": \"stdp\"}")
            .contains("is recurrent on the readout (the last layer); on chip only a hidden layer's self-connection learns"))
        // A hidden layer's dense self-connection learns (docs/LEARNING.md, "Recurrent"); a
        // connection back to an earlier layer does not.
        let deep = rec + ", {\"name\": \"b\", \"size\": 2}"
        #expect(net(deep, "{\"from\": \"in\", \"to\": \"a\"}, {\"from\": \"a\", \"to\": \"b\"}, {\"from\": \"a\", \"to\": \"a\"}", learning: ", \"learning\": {\"rule\": \"dfa\"}") == "<no error>")
        #expect(net(deep, "{\"from\": \"in\", \"to\": \"a\"}, {\"from\": \"a\", \"to\": \"b\"}, {\"from\": \"b\", \"to\": \"a\"}", learning: ", \"learning\": {\"rule\": \"dfa\"}")
            .contains("connection 2 ('b' -> 'a') is recurrent to an earlier layer"))
        // v saturates symmetrically: 2^23 is out of range.
        #expect(net("{\"name\": \"in\", \"kind\": \"input\", \"size\": 2}, {\"name\": \"a\", \"size\": 2, \"initialV\": 8388608}", "{\"from\": \"in\", \"to\": \"a\"}")
            .contains("$.network.layers[1].initialV"))
    }
}

@Suite struct ShippedShapedConfigTests {
    @Test func shippedConvAndRecurrentConfigsBuildAndRoundTrip() throws {
        // conv-mnist (24 cores) is only decoded here: building it takes seconds in a debug build.
        for (name, cores) in [("conv-mnist", 0), ("conv-nmnist", 10), ("rec-braille", 2)] {
            let cfg = try ExperimentConfig.load(path: repoRoot + "/configs/\(name).json")
            if cores > 0 { #expect(try Chip(config: cfg).usedCores.count == cores, "\(name)") }
            // The resolved config (what `run` writes) decodes to the same config.
            let again = try ExperimentConfig(json: cfg.resolvedJSON, file: cfg.file)
            #expect(again.network == cfg.network, "\(name)")
        }
    }

    @Test func explicitKernelAndPoolWeightsRoundTrip() throws {
        let cfg = try config("""
        {"network": {"layers": [{"name": "in", "kind": "input", "shape": [1, 3, 3]},
                                {"name": "c", "shape": [2, 2, 2], "initialU": [1, 2, 3, 4, 5, 6, 7, 8]},
                                {"name": "p", "shape": [2, 1, 1], "initialV": -5},
                                {"name": "o", "size": 2}],
                     "connections": [{"from": "in", "to": "c", "kind": "conv2d", "kernel": [2, 2], "weights": [[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]},
                                     {"from": "c", "to": "p", "kind": "avgPool", "kernel": 2},
                                     {"from": "p", "to": "o", "kind": "oneToOne", "weights": [3, -3]},
                                     {"from": "o", "to": "c", "layout": "sparse", "density": 0.5}]}}
        """)
        #expect(cfg.network.connections[0].initialization.explicitFlat == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(cfg.network.connections[1].shaped?.fixedWeight == 32)
        let again = try ExperimentConfig(json: cfg.resolvedJSON, file: cfg.file)
        #expect(again.network == cfg.network)
        // Kernel (o = 1, i = 0, ky = 1, kx = 0) = 7, stored once on the core.
        let chip = try Chip(config: cfg)
        let b = chip.cores[0].populations.first { $0.layer == 1 }!.convBlocks[0]
        #expect(b.weight(o: 1, i: 0, ky: 1, kx: 0) == 7 && b.bytes == 8)
    }
}

@Suite struct ShapedPlacementTests {
    func net(neurons: Int, strategy: String) throws -> ExperimentConfig {
        try config("""
        {"chip": {"meshWidth": 4, "meshHeight": 2, "core": {"neurons": \(neurons)}},
         "mapping": {"strategy": "\(strategy)"},
         "network": {"layers": [{"name": "in", "kind": "input", "shape": [2, 6, 6]},
                                {"name": "c", "shape": [4, 6, 6], "neuron": {"du": 4095, "dv": 400, "vth": 20}},
                                {"name": "p", "shape": [4, 3, 3], "neuron": {"du": 4095, "dv": 4095, "vth": 0}},
                                {"name": "o", "size": 5, "neuron": {"du": 4095, "dv": 400, "vth": 20}}],
                     "connections": [{"from": "in", "to": "c", "kind": "conv2d", "kernel": 3, "padding": 1, "groups": 2, "init": {"kind": "uniform", "low": -8, "high": 24}},
                                     {"from": "c", "to": "p", "kind": "sumPool", "kernel": 2},
                                     {"from": "p", "to": "o", "init": {"kind": "uniform", "low": -8, "high": 24}},
                                     {"from": "c", "to": "c", "kind": "oneToOne", "init": {"kind": "constant", "value": -4}}]},
         "run": {"steps": 12}}
        """)
    }

    @Test func spikesDoNotDependOnHowShapedLayersAreSplit() throws {
        var rng = SplitMix(seed: 3)
        let input = (0..<2).map { _ in (0..<12).map { _ in (0..<72).filter { _ in rng.next() % 4 == 0 }.map(Int32.init) } }
        func spikes(_ cfg: ExperimentConfig) -> [[Int32]] {
            let sim = Simulator(chip: try! Chip(config: cfg))
            var all: [[Int32]] = []
            sim.onStep = { _, _ in for l in 1...3 { all.append(Array(sim.spikesEmitted(layer: l))) } }
            sim.run(source: ListSource(channels: 72, spikes: input))
            return all
        }
        let one = spikes(try net(neurons: 1024, strategy: "packed"))
        #expect(one.joined().count > 50)
        // 30 neurons per core cuts channels and rows; balanced puts every layer on its own cores
        // and routes the input too.
        #expect(spikes(try net(neurons: 30, strategy: "packed")) == one)
        #expect(spikes(try net(neurons: 40, strategy: "balanced")) == one)
    }
}
