import ChipModel

// plasticity.run on a population's conv2d blocks: a forward-update program of the three-factor
// form learns each shared kernel through the plasticity unit's accumulate / apply pair
// (PlasticityUnit+Conv.swift, docs/CONV.md "Learning"). Pools and one-to-one maps stay fixed.
// A learned kernel must live on one core per output channel: attach refuses a slice that cuts
// a channel (the two copies would diverge), naming the connection.

extension ScheduledRule {
    /// The error-broadcast rules (and specs built like them) learn networks with shaped
    /// connections. Weight perturbation (its perturbed blocks are the dense forward blocks) and
    /// specs with a host routine (LOCO's projection reads dense blocks) do not: refused at attach.
    public var trainsShapedNetworks: Bool {
        spec.perturbation == nil && !learnSteps.contains { if case .callHost = $0.operation { return true } else { return false } }
    }

    /// After the feedback blocks exist: every conv2d block of a population whose blocks some
    /// step runs a program on gets its accumulators and traces; checks form, channels and memory.
    func attachSharedKernels(_ chip: Chip) throws {
        let names = programs.keys.sorted()
        let net = chip.config.network
        var learned = Set<ObjectIdentifier>()
        for step in compiled {
            guard case let .run(pi, target, _, _) = step.operation, target == .hiddenBlocks || target == .outputBlocks else { continue }
            for (core, pop) in target.isOutput ? outputs : hidden {
                for k in pop.convBlocks.indices where pop.convBlocks[k].kind == .conv2d {
                    let b = pop.convBlocks[k], c = net.connections[b.connection]
                    let name = "connection \(b.connection) ('\(c.from)' -> '\(c.to)')"
                    let program = layerPrograms[pop.layer]?[pi] ?? programList[pi]
                    if let why = SharedKernelUpdate.refusal(program) {
                        throw ChipError.config(file: chip.config.file, path: "$.learning",
                                               message: "\(spec.name) cannot learn the conv2d \(name) with program '\(names[pi])': \(why)")
                    }
                    guard b.holdsWholeChannels else {
                        let ohw = b.geometry.output.height * b.geometry.output.width
                        throw ChipError.config(file: chip.config.file, path: "$.network.connections[\(b.connection)]",
                                               message: "\(spec.name) learns the conv2d \(name), but core \(core.id) holds neurons \(b.postFirst)..<\(b.postFirst + b.nPost) of '\(c.to)', which cut an output channel (\(ohw) neurons each): a kernel copy on two cores would diverge; place whole channels per core (e.g. chip.core.neurons a multiple of \(ohw), or an explicit mapping)")
                    }
                    pop.enableKernelLearning(block: k)
                    learned.insert(ObjectIdentifier(pop))
                }
            }
        }
        sharedKernels = []
        let limit = chip.config.chip.core.synapseMemoryBytes
        for core in chip.cores {
            for pop in core.populations where learned.contains(ObjectIdentifier(pop)) {
                for k in pop.convBlocks.indices where pop.convBlocks[k].auxBits > 0 { sharedKernels.append((core, pop, k)) }
            }
            let used = core.synapseBytes + feedback.filter { $0.core === core }.reduce(0) { $0 + $1.block.bytes }
            if used > limit && core.populations.contains(where: { learned.contains(ObjectIdentifier($0)) }) {
                throw ChipError.capacity(message: "core \(core.id): \(spec.name)'s kernel accumulators (32 bits per stored kernel weight) bring the core to \(used) bytes of synapse memory (feedback synapses included); chip.core.synapseMemoryBytes is \(limit)")
            }
        }
    }

    /// Runs a forward-update program over the learned conv blocks of `pop`; returns cycles.
    func runSharedKernels(_ program: MicrocodeProgram, core: Core, population pop: Population, step: Int,
                          counts c: inout ActionCounts) -> UInt64 {
        guard let l = pop.learning, !l.convPre.isEmpty else { return 0 }
        var cycles: UInt64 = 0
        for k in pop.convBlocks.indices where l.convPre[k].count > 0 {
            let update: SharedKernelUpdate
            if let u = kernelUpdates[program] { update = u } else {
                // attach checked every program a step runs on these blocks.
                update = SharedKernelUpdate(program)!
                kernelUpdates[program] = update
            }
            // Random block 500 + k: distinct from the forward (k) and feedback (1000 + k) blocks.
            let r = core.plasticityUnit.runSharedKernel(update, population: pop, block: k, pre: l.convPre[k], post: l.post,
                                                        random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: 500 + k, scope: .synapse),
                                                        counts: &c)
            cycles += UInt64(r.cycles)
        }
        return cycles
    }

    /// The learned kernels as checkpoint registers (OIHW, the covered channels of each core's block).
    var kernelRegisters: [RuleStateRegister] {
        sharedKernels.map { s in
            let b = s.population.convBlocks[s.block]
            return RuleStateRegister("kernel[core \(s.core.id), layer \(s.population.layer), block \(s.block)]", signedBits: b.weightBits, values: b.kernelsOIHW)
        }
    }

    /// Restores one kernel register (already checked against `kernelRegisters`: names, lengths, ranges).
    func restoreKernel(_ r: RuleStateRegister) -> Bool {
        guard let s = sharedKernels.first(where: { r.name == "kernel[core \($0.core.id), layer \($0.population.layer), block \($0.block)]" }) else { return false }
        try? s.population.setKernels(block: s.block, oihw: r.values.map { Int($0) }, file: "", path: r.name)
        return true
    }
}
