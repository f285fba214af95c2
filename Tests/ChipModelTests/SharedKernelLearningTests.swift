import Foundation
import Testing
@testable import ChipModel

// The plasticity unit's shared-kernel update (PlasticityUnit+Conv.swift, docs/CONV.md
// "Learning") against an Int64 oracle written out here: the sum over output positions of
// x1[input at the tap] * mod[neuron], over the pairs the program's .require factors keep, then
// w - ((sum + low bits of the draw) >> ETA) saturated to the weight width; counts and cycles
// from the two derived programs' instruction costs.

/// A rule that learns nothing but accepts shaped networks (so the learning state exists).
private final class ShapedTestRule: LearningRule {
    var name: String { "shaped-test" }
    var preTraces: (x1: TraceParameters, x2: TraceParameters) { (TraceParameters(decay: 410, impulse: 24), .unused) }
    var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }
    var trainsShapedNetworks: Bool { true }
    func attach(to simulator: Simulator) throws {}
    func learn(simulator: Simulator, context: StepContext) -> UInt64 { 0 }
}

/// A rule that does not declare shaped networks (the default).
private final class DenseOnlyRule: LearningRule {
    var name: String { "dense-only" }
    var preTraces: (x1: TraceParameters, x2: TraceParameters) { (.unused, .unused) }
    var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }
    func attach(to simulator: Simulator) throws {}
    func learn(simulator: Simulator, context: StepContext) -> UInt64 { 0 }
}

private let threeFactor = """
.scope synapse
.const ETA 5
.require x1, mod, r2
ld     a0, x1
ld     a1, mod
mul    a0, a0, a1, 0
sround a0, a0, ETA
ld     a1, w
sub    a1, a1, a0
st     w, a1
"""

/// 2x5x5 input -> conv 3@3x3, stride 2, pad 1 (3x3 output), weights given; `neurons` per core.
private func convChip(neurons: Int = 64, weights: [Int]? = nil) throws -> Simulator {
    let w = weights ?? (0..<(3 * 2 * 9)).map { ($0 * 37) % 61 - 30 }
    let cfg = try config("""
    {"seed": 3, "chip": {"meshWidth": 2, "meshHeight": 1, "core": {"neurons": \(neurons)}},
     "network": {"layers": [{"name": "in", "kind": "input", "shape": [2, 5, 5]},
                            {"name": "c", "shape": [3, 3, 3]}],
                 "connections": [{"from": "in", "to": "c", "kind": "conv2d", "kernel": 3, "stride": 2, "padding": 1,
                                  "weights": \(w)}]},
     "learning": {"rule": "stdp"}, "run": {"steps": 1}}
    """)
    let sim = Simulator(chip: try Chip(config: cfg))
    try sim.attach(rule: ShapedTestRule())
    return sim
}

@Suite struct SharedKernelLearningTests {
    @Test func updateIsTheSumOverPositionsByAnInt64Oracle() throws {
        let sim = try convChip(neurons: 18)   // two cores: channels 0-1 (18 neurons) and channel 2 (9)
        let program = try MicrocodeAssembler.assemble(threeFactor)
        let update = try #require(SharedKernelUpdate(program))
        #expect(update.accumulate.validationError() == nil && update.apply.validationError() == nil)
        #expect(update.accumulate.cyclesPerElement == 7 && update.apply.cyclesPerElement == 8)
        let g = sim.chip.cores[0].populations[0].convBlocks[0].geometry
        for core in sim.chip.cores {
            let pop = core.populations[0]
            pop.enableKernelLearning(block: 0)
            let b0 = pop.convBlocks[0]
            #expect(b0.auxBits == 32 && b0.holdsWholeChannels)
            // Memory: weights and accumulators of the covered channels.
            #expect(b0.bytes == (b0.channelHi - b0.channelLo) * 18 * (8 + 32) / 8)
            let l = try #require(pop.learning)
            #expect(l.convPre[0].count == 50)
            // Factors: x1 in 0...255 with zeros; mod large enough that sums saturate the 8-bit weight
            // for some taps; r2 (psi) zero for some neurons.
            for s in 0..<50 { l.convPre[0].x1[s] = s % 7 == 3 ? 0 : Int32((s * 53) % 256) }
            for j in 0..<pop.count {
                l.post.modulator[j] = Int32(((pop.firstNeuron + j) * 977) % 4001 - 2000)
                l.post.r2[j] = (pop.firstNeuron + j) % 5 == 2 ? 0 : 1
            }
            l.post.modulator[0] = 0
            let before = b0.kernels
            let random = MicrocodeRandom(seed: 9, core: core.id, step: 4, block: 500, scope: .synapse)
            var counts = ActionCounts()
            let r = core.plasticityUnit.runSharedKernel(update, population: pop, block: 0, pre: l.convPre[0], post: l.post,
                                                        random: random, counts: &counts)
            // Oracle: plain nested loops over the slice's neurons and the kernel, Int64.
            var sum = [Int64](repeating: 0, count: g.weightCount)   // OIHW
            var pairs = 0, skipped = 0
            for j in 0..<pop.count {
                let n = pop.firstNeuron + j
                let o = n / 9, oy = (n % 9) / 3, ox = n % 3
                for i in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                    guard iy >= 0 && iy < 5 && ix >= 0 && ix < 5 else { continue }
                    let x = Int64(l.convPre[0].x1[i * 25 + iy * 5 + ix])
                    if x == 0 || l.post.modulator[j] == 0 || l.post.r2[j] == 0 { skipped += 1; continue }
                    pairs += 1
                    sum[((o * 2 + i) * 3 + ky) * 3 + kx] += x * Int64(l.post.modulator[j])
                } } }
            }
            var applied = 0
            let b = pop.convBlocks[0]
            for o in b.channelLo..<b.channelHi { for i in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                let gi = ((o * 2 + i) * 3 + ky) * 3 + kx
                let old = Int64(before[b.kernelIndex(o: o, i: i, ky: ky, kx: kx)])
                var expected = old
                if sum[gi] != 0 {
                    applied += 1
                    #expect(abs(sum[gi]) < Int64(Int32.max))   // no accumulator saturation in this case
                    let low = Int64(random.key(for: .sround, pc: 1).draw(gi) & 31)
                    expected = min(max(old - ((sum[gi] + low) >> 5), -128), 127)
                }
                #expect(Int64(b.weight(o: o, i: i, ky: ky, kx: kx)) == expected, "core \(core.id) o \(o) i \(i) ky \(ky) kx \(kx)")
            } } } }
            #expect(b.aux.allSatisfy { $0 == 0 })
            #expect(applied > 0 && pairs > 0 && skipped > 0)
            // Some weight saturated (the case the clamp is there for).
            #expect(b.kernels.contains { $0 == 127 || $0 == -128 })
            #expect(r == PlasticityRun(executed: pairs + applied, skipped: skipped, cycles: 7 * pairs + 8 * applied))
            var want = ActionCounts()
            want.add(.plastSynapse, UInt64(pairs + applied))
            want.add(.plastInstr, UInt64(6 * pairs + 7 * applied))
            want.add(.prngDraw, UInt64(applied))
            want.add(.sramReadBits, UInt64(32 * pairs + 40 * applied))
            want.add(.sramWriteBits, UInt64(32 * pairs + 40 * applied))
            #expect(counts == want)
        }
    }

    @Test func onlyThreeFactorProgramsWithoutGatesLearnKernels() throws {
        #expect(SharedKernelUpdate(try MicrocodeAssembler.assemble(threeFactor)) != nil)
        let gated = threeFactor.replacingOccurrences(of: ".require x1, mod, r2", with: ".gate x1")
        #expect(SharedKernelUpdate.refusal(try MicrocodeAssembler.assemble(gated))?.contains(".gate") == true)
        let other = ".scope synapse\nld a0, x1\nld a1, w\nadd a1, a1, a0\nst w, a1"
        #expect(SharedKernelUpdate.refusal(try MicrocodeAssembler.assemble(other))?.contains("three-factor form") == true)
    }

    @Test func rulesThatDoNotDeclareShapedNetworksAreRefused() throws {
        let sim = try convChip()
        let fresh = Simulator(chip: sim.chip)
        let text = errorText { try fresh.attach(rule: DenseOnlyRule()) }
        #expect(text.contains("$.learning: cannot train this network with dense-only: connection 0 ('in' -> 'c') is conv2d"))
    }

    @Test func packedPlacementOfALearningNetworkTakesWholeChannels() throws {
        // 20 neurons per core would cut channel 2 (neurons 18...26); with a learning section the
        // packed strategy stops at 18 and starts the next core on a channel boundary.
        let sim = try convChip(neurons: 20)
        #expect(sim.chip.cores.map { $0.populations.map { [$0.firstNeuron, $0.count] } } == [[[0, 18]], [[18, 9]]])
        #expect(sim.chip.cores.allSatisfy { $0.populations[0].convBlocks[0].holdsWholeChannels })
    }
}
