import Foundation
import ChipModel

// `chipsim bench route`: throughput of the routing phase on the reference network
// 784 -> 500 -> 10, balanced over a 4x4 mesh. Each step 13% of the inputs and 12% of
// the hidden neurons spike; a spike goes as one packet to each core holding part of the
// layer it feeds. A core injects its packets one per cycle, in neuron order. Activity
// patterns are drawn once (counter-based PRNG, so the numbers are reproducible) and
// replayed; only reset + inject + drain is timed.

enum BenchRoute {
    static let help = """
    USAGE: chipsim bench route [--steps N] [--mesh WxH] [--neurons-per-core N] [--patterns N] [--seed N] [--json]

    Routes one timestep of the 784-500-10 reference network (13% input and 12% hidden
    activity, balanced mapping) many times and prints packets/s, flits/s and the mean
    drain cycles of the routing phase.

    OPTIONS:
      --steps N             timesteps routed (default 20000)
      --mesh WxH            mesh size (default 4x4)
      --neurons-per-core N  core capacity for the mapping (default 128: 7+4+1 cores)
      --patterns N          distinct activity patterns replayed (default 64)
      --seed N              activity seed (default 1)
      --json                print one JSON object

    EXAMPLE:
      swift build -c release && .build/release/chipsim bench route --steps 50000
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let steps = try args.int("steps", default: 20000, in: 1...10_000_000)
        let npc = try args.int("neurons-per-core", default: 128, in: 1...65_536)
        let patterns = try args.int("patterns", default: 64, in: 1...65_536)
        let seed = try args.int("seed", default: 1, in: 0...Int.max)
        let meshText = try args.value("mesh") ?? "4x4"
        let json = args.flag("json")
        try args.finish()
        let dims = meshText.split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2, (1...64).contains(dims[0]), (1...64).contains(dims[1]) else {
            throw ChipError.usage("--mesh expects WxH with W and H in 1...64 (e.g. 4x4), got '\(meshText)'")
        }
        guard steps >= 1, npc >= 1, patterns >= 1 else {
            throw ChipError.usage("--steps, --neurons-per-core and --patterns must be at least 1")
        }

        let noc = NocConfig()
        let mesh = Mesh(width: dims[0], height: dims[1], coresPerTile: noc.coresPerTile)
        let layers: [LayerDemand] = [
            LayerDemand(name: "in", neurons: 784, fanIn: 0, isInput: true) { _ in 0 },
            .dense(name: "hidden", neurons: 500, fanIn: 784),
            .dense(name: "out", neurons: 10, fanIn: 500),
        ]
        let limits = CoreLimits(neuronsPerCore: npc, synapseBytes: Int.max / 2, maxInputAxons: 1 << 20, maxOutputAxons: 1 << 20)
        let placement = try Mapper.place(layers, limits: limits, mesh: mesh, config: MappingConfig(strategy: .balanced))
        var router = try MeshRouter(mesh: mesh, noc: noc)

        // Activity patterns as flat packet lists: (source core, destination core, cycle).
        struct Pattern { var source: [Int] = [], dest: [Int] = [], cycle: [Int] = [] }
        var all: [Pattern] = []
        let key = RandomKey(seed: UInt64(seed), stream: .inputEncoder)
        for p in 0..<patterns {
            var pat = Pattern()
            var emitted = [Int](repeating: 0, count: mesh.coreCount)   // packets per source core
            for (layer, fraction) in [(0, 0.13), (1, 0.12)] {
                let n = layers[layer].neurons
                let k = Int((Double(n) * fraction).rounded())
                // Partial Fisher-Yates: the first k of a keyed shuffle, then neuron order.
                var idx = Array(0..<n)
                let pk = key.with(p).with(layer)
                for i in 0..<k {
                    let j = i + Int(pk.draw(i) % UInt64(n - i))
                    idx.swapAt(i, j)
                }
                for neuron in idx[0..<k].sorted() {
                    let src = placement.locate(layer: layer, neuron: neuron).core
                    for dst in placement.cores(ofLayer: layer + 1) {
                        pat.source.append(src); pat.dest.append(dst)
                        pat.cycle.append(emitted[src]); emitted[src] += 1
                    }
                }
            }
            all.append(pat)
        }

        func routeStep(_ pat: Pattern) -> RoutingStepResult {
            router.reset()
            for i in 0..<pat.source.count {
                router.inject(from: pat.source[i], to: pat.dest[i], kind: .spike, cycle: pat.cycle[i])
            }
            return router.drain()
        }
        for p in all.prefix(8) { _ = routeStep(p) }   // warm-up: grow the buffers
        router.resetTotals()

        var packets = 0, flits = 0, drain = 0, counts = ActionCounts()
        let clock = ContinuousClock()
        let start = clock.now
        for s in 0..<steps {
            let r = routeStep(all[s % patterns])
            packets += r.packets; flits += r.flitsInjected; drain += r.drainCycles
            r.add(to: &counts)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let usage = router.linkUsage()
        let coresUsed = (0..<layers.count).map { placement.slices[$0].count }

        if json {
            let v: JSONValue = .object([
                ("benchmark", .string("route")),
                ("network", .string("784-500-10")),
                ("mesh", .string("\(mesh.width)x\(mesh.height)")),
                ("neuronsPerCore", .int(npc)),
                ("coresPerLayer", .array(coresUsed.map { .int($0) })),
                ("steps", .int(steps)),
                ("packetsPerStep", .double(Double(packets) / Double(steps))),
                ("seconds", .double(seconds)),
                ("packetsPerSecond", .double((Double(packets) / seconds).rounded())),
                ("flitsPerSecond", .double((Double(flits) / seconds).rounded())),
                ("stepsPerSecond", .double((Double(steps) / seconds).rounded())),
                ("meanDrainCycles", .double(Double(drain) / Double(steps))),
                ("hopEWPerStep", .double(Double(counts[.hopEW]) / Double(steps))),
                ("hopNSPerStep", .double(Double(counts[.hopNS]) / Double(steps))),
                ("spikeLocalPerStep", .double(Double(counts[.spikeLocal]) / Double(steps))),
                ("links", usage.json),
            ])
            print(v.serialized())
        } else {
            print("route benchmark: 784-500-10 balanced over \(mesh.width)x\(mesh.height) mesh, \(npc) neurons/core, cores per layer \(coresUsed.map(String.init).joined(separator: "+"))")
            print("  steps                \(steps) (\(patterns) activity patterns, 13% input / 12% hidden spiking)")
            print("  packets per step     \(String(format: "%.1f", Double(packets) / Double(steps)))")
            print("  packets/s            \(String(format: "%.3e", Double(packets) / seconds))")
            print("  flits/s              \(String(format: "%.3e", Double(flits) / seconds))")
            print("  steps/s              \(String(format: "%.0f", Double(steps) / seconds))")
            print("  mean drain cycles    \(String(format: "%.1f", Double(drain) / Double(steps)))")
            print("  hops per step        EW \(String(format: "%.1f", Double(counts[.hopEW]) / Double(steps))), NS \(String(format: "%.1f", Double(counts[.hopNS]) / Double(steps))), local \(String(format: "%.1f", Double(counts[.spikeLocal]) / Double(steps)))")
            print("  link utilisation     max \(String(format: "%.3f", usage.maxUtilisation)), mean \(String(format: "%.3f", usage.meanUtilisation)); hottest \(usage.hottest?.description ?? "-") (\(usage.hottestFlits) flits)")
            print("  wall time            \(String(format: "%.3f", seconds)) s")
        }
        return 0
    }
}
