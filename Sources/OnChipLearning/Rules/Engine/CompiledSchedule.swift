import ChipModel

// The learn schedule as the interpreter runs it each step: the spec's steps with their static
// conditions applied, parameter references resolved to integers and program names to indices,
// so a step costs a switch on plain values (no string look-ups, no reference counting). It is
// rebuilt whenever the programs are (attach, a learning-rate halving).

enum CompiledOperation {
    case lossError
    case lossCost(shift: Int)
    case run(program: Int, target: RuleTarget, key: Int, factor: RuleUpdateFactor)
    case accumulateOutput
    case clearOutputSum
    case scaleNoise(shift: Int, noise: RuleNoiseStep)
    /// Values sent per source neuron, by the timing under which each is due.
    case send(fromOutput: Bool, always: Int, learning: Int, lastBurnIn: Int, epochEnd: Int)
    case broadcast
    case drain
    case regenerateNoise(noise: RuleNoiseStep)
    case receive(outputSum: Bool)
    case deliverTransposed(shift: Int, normalise: Int)
    case accumulateCost
    case periodCost(shift: Int)
    case broadcastPerturbed
    case sync
    case runPerturbed(program: Int, next: Bool)
    case clear(RuleValueName)
    case meanCost(shift: Int)
    case countSpikes(bits: Int)
    case scaleRegister(shift: Int)
    /// Index into the rule's hostCalls.
    case callHost(Int)
    case reward(correct: Int, wrong: Int, perNeuron: Bool, everyPopulation: Bool)
}

struct CompiledStep {
    var timing: RuleStepTiming
    var operation: CompiledOperation
}

extension ScheduledRule {
    func compileSchedule() {
        let names = programs.keys.sorted()
        programList = names.map { programs[$0]! }
        programETA = names.map { programConstants[$0]?["ETA"] ?? 0 }
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        compiled = learnSteps.compactMap { step -> CompiledStep? in
            let op: CompiledOperation
            switch step.operation {
            case .lossError: op = .lossError
            case let .lossCost(shift): op = .lossCost(shift: resolve(shift))
            case let .run(program, target, key, factor):
                guard let i = index[program] else { return nil }
                op = .run(program: i, target: target, key: key, factor: factor)
            case .accumulateOutput: op = .accumulateOutput
            case .clearOutputSum: op = .clearOutputSum
            case let .scaleNoise(shift, noise): op = .scaleNoise(shift: resolve(shift), noise: noise)
            case let .send(fromOutput, values):
                func n(_ t: RuleStepTiming) -> Int { values.filter { $0.timing == t }.count }
                op = .send(fromOutput: fromOutput, always: n(.always), learning: n(.learning), lastBurnIn: n(.lastBurnInStep), epochEnd: n(.epochEnd))
            case .broadcast: op = .broadcast
            case .drain: op = .drain
            case let .regenerateNoise(noise): op = .regenerateNoise(noise: noise)
            case let .receive(value): op = .receive(outputSum: value == .oSum)
            case let .deliverTransposed(shift, normalise): op = .deliverTransposed(shift: resolve(shift), normalise: resolve(normalise))
            case .accumulateCost: op = .accumulateCost
            case let .periodCost(shift): op = .periodCost(shift: resolve(shift))
            case .broadcastPerturbed: op = .broadcastPerturbed
            case .sync: op = .sync
            case let .runPerturbed(program, next):
                guard let i = index[program] else { return nil }
                op = .runPerturbed(program: i, next: next)
            case let .clear(value): op = .clear(value)
            case let .meanCost(shift): op = .meanCost(shift: resolve(shift))
            case let .countSpikes(bits): op = .countSpikes(bits: bits)
            case let .scaleRegister(shift): op = .scaleRegister(shift: resolve(shift))
            case let .callHost(routine, _):
                guard let i = hostCalls.firstIndex(where: { $0.name == routine }) else { return nil }
                op = .callHost(i)
            case let .reward(correct, wrong, target, every):
                let t = target.hasPrefix("$") ? values.string(String(target.dropFirst())) : target
                op = .reward(correct: resolve(correct), wrong: resolve(wrong), perNeuron: t == "neuron", everyPopulation: every)
            case .injectNoise, .deliverGradedNoise, .sendLabel, .injectRegister, .drawSigns: return nil
            }
            return CompiledStep(timing: step.timing, operation: op)
        }
    }
}
