import Foundation
import ChipModel
import OnChipLearning

// `chipsim bench plasticity`: throughput of the fast microcode interpreter on one core: a
// 6-instruction synapse program over every synapse of a dense 784x500 block (392,000
// synapses, no gates, so nothing is skipped). Reports executions per second of the
// synapse program (best of --reps passes) and, for comparison, of the scalar reference.

enum BenchPlasticity {
    static let programText = """
        .scope synapse
        ld  a0, x1
        ld  a1, y1
        mul a0, a0, a1, 6
        ld  a2, w
        add a2, a2, a0
        st  w, a2
        """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let json = args.flag("json")
        let reps = try args.int("reps", default: 30, in: 1...1_000_000)
        let nPre = try args.int("pre", default: 784, in: 1...4096)
        let nPost = try args.int("post", default: 500, in: 1...4096)
        let tile = try args.int("tile", default: 1024, in: 1...65_536)
        let scalar = !args.flag("no-scalar")
        try args.finish()
        guard reps >= 1, nPre >= 1, nPost >= 1, tile >= 1 else { throw ChipError.usage("--reps, --pre, --post, --tile must be >= 1") }

        let program = try MicrocodeAssembler.assemble(programText, file: "bench.mc")
        var pre = PreSynapticTraces(count: nPre, x1: TraceParameters(decay: 512, impulse: 128))
        var post = PostSynapticState(count: nPost, y1: TraceParameters(decay: 512, impulse: 128))
        let initKey = RandomKey(seed: 1, stream: .weightInit)
        for i in 0..<nPre { pre.x1[i] = Int32(initKey.draw(i) % 255) + 1 }
        for j in 0..<nPost { post.y1[j] = Int32(initKey.draw(1_000_000 + j) % 255) + 1 }
        var block = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: 8, auxBits: 16)
        for s in 0..<block.synapseCount { block.weights[s] = Int16(Int(initKey.draw(2_000_000 + s) % 256) - 128) }
        let unit = PlasticityUnit(lanes: 1, tileSize: tile)
        let random = MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse)

        var counts = ActionCounts()
        var best = Double.infinity, total = 0.0
        _ = unit.runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &counts)  // warm-up
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = unit.runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &counts)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            best = min(best, dt); total += dt
        }
        let synapses = Double(nPre * nPost)
        let perSecond = synapses / best
        let meanPerSecond = synapses * Double(reps) / total
        var scalarPerSecond = 0.0
        if scalar {
            var b2 = block
            var c2 = ActionCounts()
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = ScalarInterpreter.runSynapseScope(program, block: &b2, pre: pre, post: post, random: random, counts: &c2)
            scalarPerSecond = synapses / (Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        if json {
            print("{\"bench\": \"plasticity\", \"synapses\": \(nPre * nPost), \"pre\": \(nPre), \"post\": \(nPost), "
                + "\"instructions\": \(program.instructions.count), \"tile\": \(tile), \"reps\": \(reps), "
                + "\"best_seconds\": \(best), \"executions_per_second\": \(perSecond.rounded()), "
                + "\"mean_executions_per_second\": \(meanPerSecond.rounded()), "
                + "\"instructions_per_second\": \((perSecond * Double(program.instructions.count)).rounded()), "
                + "\"scalar_executions_per_second\": \(scalarPerSecond.rounded())}")
        } else {
            print("plasticity bench: \(program.instructions.count)-instruction synapse program, \(nPre)x\(nPost) = \(nPre * nPost) synapses, tile \(tile), one core")
            print(String(format: "  best pass %.3f ms   %.3e synapse-program executions/s (mean %.3e)", best * 1e3, perSecond, meanPerSecond))
            print(String(format: "  %.3e microcode instructions/s", perSecond * Double(program.instructions.count)))
            if scalar { print(String(format: "  scalar reference: %.3e executions/s (%.1fx slower)", scalarPerSecond, perSecond / scalarPerSecond)) }
        }
        return 0
    }
}
