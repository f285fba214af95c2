import Testing
@testable import ChipModel

// The host streams every input spike in as one address event over the host link: counted as
// host.io.bytes of the mesh component in the routing phase (labels stay in the learning phase).
@Suite struct InputHostIOTests {
    @Test func anEventCarriesItsChannelIndexInWholeBytes() {
        // ceil(log2 channels) bits, rounded up to bytes, at least one: by hand.
        let expected: [(Int, UInt64)] = [(1, 1), (2, 1), (3, 1), (255, 1), (256, 1), (257, 2), (784, 2),
                                         (65_536, 2), (65_537, 3), (1 << 24, 3), ((1 << 24) + 1, 4)]
        for (channels, bytes) in expected {
            #expect(Simulator.inputEventBytes(channels: channels) == bytes, "\(channels) channels")
        }
    }

    @Test func everyStreamedInputSpikeIsCountedAsHostIO() throws {
        // 300 input channels: 2-byte events. Sample 0 streams 3 + 1 spikes, sample 1 streams 2.
        let chip = try Chip(config: config("""
            {"chip": {"meshWidth": 2, "core": {"neurons": 4}},
             "network": {"layers": [{"name": "in", "kind": "input", "size": 300},
                                    {"name": "a", "size": 2}],
                         "connections": [{"from": "in", "to": "a", "init": {"kind": "uniform", "low": -8, "high": 7}}]},
             "run": {"steps": 3}}
            """))
        let sim = Simulator(chip: chip)
        sim.run(source: ListSource(channels: 300, spikes: [[[0, 7, 299], [], [5]], [[1], [2], []]]))
        #expect(sim.meshCounts[.routing][.hostIOBytes] == 6 * 2)
        #expect(sim.totalCounts[.hostIOBytes] == 12)
        #expect(sim.samples.map { $0.counts[.hostIOBytes] } == [8, 4])
    }
}

// The learning units' counting functions, against hand-computed totals.
@Suite struct LearningUnitCountTests {
    @Test func unitFunctionsCountTheirActions() {
        var c = ActionCounts()
        PRNGUnit.countDraws(3, into: &c)
        GradedDelivery.count(pre: 5, post: 7, bitsPerValue: 32, into: &c)
        PlasticityUnit.countControllerInstructions(6, into: &c)
        #expect(c[.plastSynapse] == 0)
        #expect(c[.plastInstr] == 6)
        #expect(c[.prngDraw] == 3)
        #expect(c[.synop] == 35)
        #expect(c[.sramReadBits] == 35 * 32)
        #expect(c[.sramWriteBits] == 0)
    }

    @Test func coreMethodsCountIntoTheLearningPhaseOnly() throws {
        let chip = try Chip(config: config("""
            {"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "a", "size": 2}],
                         "connections": [{"from": "in", "to": "a", "init": {"kind": "uniform", "low": -8, "high": 7}}]}}
            """))
        let core = chip.cores[0]
        var run = ActionCounts(); run.add(.plastInstr, 5); run.add(.synop, 2)
        core.recordLearning(run)
        core.countModulatorBroadcasts()
        core.countModulatorBroadcasts(2)
        core.countRandomDraws(7)
        core.countControllerInstructions(4)
        #expect(core.counts[.learning][.plastInstr] == 9)
        #expect(core.counts[.learning][.synop] == 2)
        #expect(core.counts[.learning][.modBroadcast] == 3)
        #expect(core.counts[.learning][.prngDraw] == 7)
        for phase in Phase.allCases where phase != .learning { #expect(core.counts[phase] == ActionCounts()) }
    }
}
