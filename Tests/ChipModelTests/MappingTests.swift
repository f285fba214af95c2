import Testing
@testable import ChipModel

// Mapping against hand-computed splits and exact limit messages.

func net784(synapseBits: Int = 8) -> [LayerDemand] {
    [LayerDemand(name: "in", neurons: 784, fanIn: 0, isInput: true) { _ in 0 },
     .dense(name: "hidden", neurons: 500, fanIn: 784, weightBits: synapseBits),
     .dense(name: "out", neurons: 10, fanIn: 500, weightBits: synapseBits)]
}

let big = CoreLimits(neuronsPerCore: 256, synapseBytes: 1 << 20, maxInputAxons: 4096, maxOutputAxons: 4096)

func shape(_ p: Placement) -> [[[Int]]] { p.slices.map { $0.map { [$0.core, $0.firstNeuron, $0.count] } } }

@Suite struct MappingTests {
    @Test func greedyFillsCoresInOrder() throws {
        let p = try Mapper.place(net784(), limits: big, mesh: Mesh(width: 4, height: 4), config: MappingConfig(strategy: .greedy))
        #expect(shape(p) == [[[0, 0, 256], [1, 256, 256], [2, 512, 256], [3, 768, 16]],
                             [[4, 0, 256], [5, 256, 244]], [[6, 0, 10]]])
        #expect(p.usedCores == 7)
        // Loads: hidden core 5 holds 244 neurons x 784 bytes; feeds 1 output core.
        #expect(p.loads[5] == CoreLoad(core: 5, tile: TileCoord(x: 1, y: 1), layer: 1, neurons: 244,
                                       synapseBytes: 244 * 784, inputAxons: 784, outputAxons: 244))
        #expect(p.loads[0].outputAxons == 256 * 2 && p.loads[7].layer == nil)
        #expect(p.locate(layer: 0, neuron: 770) == (3, 2))
        #expect(p.locate(layer: 1, neuron: 255) == (4, 255))
    }

    @Test func balancedSplitsEvenlyOverTheMinimumOrGivenCores() throws {
        let p = try Mapper.place(net784(), limits: big, mesh: Mesh(width: 4, height: 4), config: MappingConfig(strategy: .balanced))
        #expect(shape(p) == [[[0, 0, 196], [1, 196, 196], [2, 392, 196], [3, 588, 196]],
                             [[4, 0, 250], [5, 250, 250]], [[6, 0, 10]]])
        var c = MappingConfig(strategy: .balanced)
        c.coreCounts = [("hidden", 3)]
        let q = try Mapper.place(net784(), limits: big, mesh: Mesh(width: 4, height: 4), config: c)
        #expect(shape(q)[1] == [[4, 0, 167], [5, 167, 167], [6, 334, 166]])
        #expect(q.loads[0].outputAxons == 196 * 3)
    }

    @Test func notEnoughCoresNamesNetworkAndMesh() {
        #expect(throws: ChipError.capacity(message: "not enough cores: 784-500-10 needs 7 cores of up to 256 neurons ('in' 4, 'hidden' 2, 'out' 1), the 2x2 mesh has 4")) {
            try Mapper.place(net784(), limits: big, mesh: Mesh(width: 2, height: 2), config: MappingConfig(strategy: .greedy))
        }
        // Exactly enough: 7 cores on a 7x1 mesh.
        #expect(throws: Never.self) {
            try Mapper.place(net784(), limits: big, mesh: Mesh(width: 7, height: 1), config: MappingConfig(strategy: .balanced))
        }
    }

    @Test func neuronLimitExactFitAndOneOver() throws {
        let layers = [LayerDemand(name: "hidden", neurons: 512, fanIn: 4, feeds: []) { _ in 0 }]
        let lim = CoreLimits(neuronsPerCore: 512)
        let ok = try Mapper.place(layers, limits: lim, mesh: Mesh(width: 2, height: 2), config: .explicit([("hidden", [(3, 512)])]))
        #expect(shape(ok) == [[[3, 0, 512]]])
        var over = layers; over[0].neurons = 513
        #expect(throws: ChipError.capacity(message: "layer 'hidden' needs 513 neurons on core 3 but neuronsPerCore is 512")) {
            try Mapper.place(over, limits: lim, mesh: Mesh(width: 2, height: 2), config: .explicit([("hidden", [(3, 513)])]))
        }
        // Automatic strategies spill the extra neuron to a second core instead.
        let g = try Mapper.place(over, limits: lim, mesh: Mesh(width: 2, height: 2), config: MappingConfig(strategy: .greedy))
        #expect(shape(g) == [[[0, 0, 512], [1, 512, 1]]])
    }

    @Test func synapseBytesExactFitAndOneByteOver() throws {
        // 100 neurons x 10 bytes = 1000 bytes.
        let layers = [LayerDemand(name: "h", neurons: 100, fanIn: 10, feeds: []) { $0 * 10 }]
        var lim = CoreLimits(neuronsPerCore: 1024, synapseBytes: 1000)
        let ok = try Mapper.place(layers, limits: lim, mesh: Mesh(width: 1, height: 1), config: MappingConfig(strategy: .greedy))
        #expect(ok.loads[0].synapseBytes == 1000)
        lim.synapseBytes = 999
        #expect(throws: ChipError.capacity(message: "layer 'h' needs 1000 synapse bytes on core 0 (100 neurons) but synapseBytes per core is 999")) {
            try Mapper.place(layers, limits: lim, mesh: Mesh(width: 1, height: 1), config: .explicit([("h", [(0, 100)])]))
        }
        // Greedy: 99 neurons fit in 999 bytes, so 2 cores are needed; one core is too few.
        #expect(throws: ChipError.capacity(message: "not enough cores: 100 needs 2 cores of up to 1024 neurons ('h' 2; 'h' fits at most 99 neurons per core (synapse memory 999 bytes)), the 1x1 mesh has 1")) {
            try Mapper.place(layers, limits: lim, mesh: Mesh(width: 1, height: 1), config: MappingConfig(strategy: .greedy))
        }
        let two = try Mapper.place(layers, limits: lim, mesh: Mesh(width: 2, height: 1), config: MappingConfig(strategy: .balanced))
        #expect(shape(two) == [[[0, 0, 50], [1, 50, 50]]])
    }

    @Test func axonLimitsExactFitAndOneOver() throws {
        let mesh = Mesh(width: 2, height: 2)
        let layers = [LayerDemand(name: "a", neurons: 10, fanIn: 0, isInput: true) { _ in 0 },
                      LayerDemand(name: "b", neurons: 4, fanIn: 10) { _ in 0 }]
        let cfg = MappingConfig.explicit([("a", [(0, 10)]), ("b", [(1, 2), (2, 2)])])
        // Core 0: 10 neurons x 2 destination cores = 20 output axons; cores 1, 2: 10 input axons.
        let ok = try Mapper.place(layers, limits: CoreLimits(maxInputAxons: 10, maxOutputAxons: 20), mesh: mesh, config: cfg)
        #expect(ok.loads[0].outputAxons == 20 && ok.loads[2].inputAxons == 10)
        #expect(throws: ChipError.capacity(message: "layer 'a' needs 20 output axons on core 0 (10 neurons x 2 destination cores) but maxOutputAxons is 19")) {
            try Mapper.place(layers, limits: CoreLimits(maxInputAxons: 10, maxOutputAxons: 19), mesh: mesh, config: cfg)
        }
        #expect(throws: ChipError.capacity(message: "layer 'b' needs 10 input axons on core 1 but maxInputAxons is 9")) {
            try Mapper.place(layers, limits: CoreLimits(maxInputAxons: 9, maxOutputAxons: 20), mesh: mesh, config: cfg)
        }
        // Balanced shrinks 'a' to 9 neurons per core (9 x 2 <= 19): 2 cores of 5.
        let b = try Mapper.place(layers, limits: CoreLimits(neuronsPerCore: 2, maxInputAxons: 10, maxOutputAxons: 19),
                                 mesh: Mesh(width: 4, height: 2), config: MappingConfig(strategy: .balanced))
        #expect(shape(b)[0].map { $0[2] } == [2, 2, 2, 2, 2] && shape(b)[1].count == 2)
    }

    @Test func explicitPlacementErrorsNamePathAndProblem() {
        let mesh = Mesh(width: 2, height: 2)
        let layers = net784().map { l -> LayerDemand in var l = l; l.synapseBytes = { _ in 0 }; return l }
        let lim = CoreLimits(neuronsPerCore: 1024)
        func place(_ c: [(String, [(Int, Int)])]) throws { _ = try Mapper.place(layers, limits: lim, mesh: mesh, config: .explicit(c)) }
        let good: [(String, [(Int, Int)])] = [("in", [(0, 784)]), ("hidden", [(1, 250), (2, 250)]), ("out", [(3, 10)])]
        #expect(throws: Never.self) { try place(good) }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores.hidden[1][0]",
                                         message: "core 0 is already used by layer 'in' at $.mapping.cores.in[0]; a core holds neurons of one layer only, once")) {
            try place([("in", [(0, 784)]), ("hidden", [(1, 250), (0, 250)]), ("out", [(3, 10)])])
        }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores.hidden",
                                         message: "layer 'hidden' has 500 neurons but the listed counts sum to 450 (50 neurons missing)")) {
            try place([("in", [(0, 784)]), ("hidden", [(1, 250), (2, 200)]), ("out", [(3, 10)])])
        }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores.hidden",
                                         message: "layer 'hidden' has 500 neurons but the listed counts sum to 501 (1 more than the layer has)")) {
            try place([("in", [(0, 784)]), ("hidden", [(1, 251), (2, 250)]), ("out", [(3, 10)])])
        }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores.out[0][0]",
                                         message: "unknown core 4; the 2x2 mesh with 1 core(s) per tile has cores 0...3")) {
            try place([("in", [(0, 784)]), ("hidden", [(1, 250), (2, 250)]), ("out", [(4, 10)])])
        }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores",
                                         message: "layer 'out' is not placed; explicit mapping must list every layer")) {
            try place([("in", [(0, 784)]), ("hidden", [(1, 250), (2, 250)])])
        }
        #expect(throws: ChipError.config(file: "<mapping>", path: "$.mapping.cores.outt",
                                         message: "unknown layer 'outt'; layers are: in, hidden, out")) {
            try place(good + [("outt", [(3, 10)])])
        }
    }

    @Test func mappingConfigDecodes() throws {
        func decode(_ text: String) throws -> MappingConfig {
            let v = try JSONValue.parse(text, file: "exp.json")
            return try MappingConfig.decode(try JSONReader(v, file: "exp.json", path: "$.mapping"))
        }
        let e = try decode(#"{"strategy": "explicit", "cores": {"in": [[0, 784]], "hidden": [[1, 250], [2, 250]], "out": [[3, 10]]}}"#)
        #expect(e.strategy == .explicit && e.explicitCores.map(\.layer) == ["in", "hidden", "out"])
        #expect(e.explicitCores[1].entries == [.init(core: 1, count: 250), .init(core: 2, count: 250)])
        let p = try Mapper.place(net784(), limits: CoreLimits(synapseBytes: 1 << 20), mesh: Mesh(width: 2, height: 2), config: e)
        #expect(p.cores(ofLayer: 1) == [1, 2] && p.tile(ofCore: 3) == TileCoord(x: 1, y: 1))
        let b = try decode(#"{"strategy": "balanced", "cores": {"hidden": 4}}"#)
        #expect(b.coreCounts.count == 1 && b.coreCounts[0] == ("hidden", 4))
        #expect(try decode(#"{"strategy": "greedy"}"#).strategy == .greedy)
        #expect(throws: ChipError.config(file: "exp.json", path: "$.mapping.cores",
                                         message: "greedy mapping takes no per-layer cores; use \"balanced\" (core counts) or \"explicit\" (core lists)")) {
            try decode(#"{"strategy": "greedy", "cores": {"hidden": 4}}"#)
        }
        #expect(throws: ChipError.config(file: "exp.json", path: "$.mapping.cores.hidden[0]", message: "expected [coreId, count], found a number")) {
            try decode(#"{"strategy": "explicit", "cores": {"hidden": [3]}}"#)
        }
        #expect(throws: ChipError.self) { try decode(#"{"strategy": "explicit"}"#) }
        #expect(throws: ChipError.self) { try decode(#"{"strategy": "random"}"#) }
        #expect(throws: ChipError.self) { try decode(#"{"stratgy": "greedy"}"#) }
        #expect(try MappingConfig.decode(nil).strategy == .packed)
    }
}
