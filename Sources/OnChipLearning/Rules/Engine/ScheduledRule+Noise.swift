import ChipModel

// The noise source of a spec ("noiseSource"): the PRNG unit's draws for the hidden neurons,
// z = +-amplitude (Rademacher) or round-half-away(amplitude z) with z the unit's fixed-point
// Gaussian, keyed by (seed, neuronNoise, layer, global step, neuron): regenerable, so the
// steps that need z again (the momentum, ZO_sp's product, the graded noise) draw it again
// instead of storing it. With "hold" the key is that of the learning epoch's first step.

extension ScheduledRule {
    @inline(__always)
    func noise(layer: Int, globalStep: Int, neuron: Int) -> Int64 {
        noise(noiseKey(layer: layer, globalStep: globalStep), neuron: neuron)
    }

    /// The key of one layer's noise at one step (hoisted out of per-neuron loops).
    @inline(__always)
    func noiseKey(layer: Int, globalStep: Int) -> RandomKey { noiseKey.with(layer).with(globalStep) }

    @inline(__always)
    func noise(_ k: RandomKey, neuron: Int) -> Int64 {
        if !noiseGaussian { return (k.draw(neuron) >> 63) == 0 ? Int64(noiseAmplitude) : -Int64(noiseAmplitude) }
        // round-half-away(alpha z), z the PRNG unit's fixed-point Gaussian (units of 2^-24).
        let x = Int64(noiseAmplitude) * k.gaussianQ24(neuron)
        return x >= 0 ? (x + (1 << 23)) >> 24 : -((-x + (1 << 23)) >> 24)
    }

    /// z[j] = noise(key, neuron: firstNeuron + j) for every j; Rademacher signs four lanes at
    /// a time (the same draws: bit 63 of draw(neuron) set gives -alpha).
    func fillNoise(_ key: RandomKey, firstNeuron: Int, into z: UnsafeMutableBufferPointer<Int64>) {
        var j = 0
        if !noiseGaussian {
            let alpha = Int64(noiseAmplitude), first = UInt64(bitPattern: Int64(firstNeuron))
            let lane = SIMD4<UInt64>(0, 1, 2, 3)
            while j + 4 <= z.count {
                let negative = SIMD4<Int64>(truncatingIfNeeded: key.draw(lane &+ (first &+ UInt64(j))) &>> 63)
                let v = SIMD4<Int64>(repeating: alpha) &- negative &* (2 &* alpha)
                z[j] = v[0]; z[j + 1] = v[1]; z[j + 2] = v[2]; z[j + 3] = v[3]
                j += 4
            }
        }
        while j < z.count { z[j] = noise(key, neuron: firstNeuron + j); j += 1 }
    }

    /// The global step whose key draws this step's noise: the step itself, or with held noise
    /// the first step of its learning epoch.
    @inline(__always)
    func noiseStep(_ context: StepContext) -> Int {
        noiseStep(localStep: context.step, globalStep: context.globalStep)
    }

    /// The same for any step of a sample (local step s at global step g).
    @inline(__always)
    func noiseStep(localStep s: Int, globalStep g: Int) -> Int {
        holdNoise ? g - s % tEpoch : g
    }

    /// prng.injectNoise: a_in_i += z_i for the hidden neurons before their update. Held noise
    /// is drawn at the epoch's first step (every sample starts an epoch) and kept in the neuron
    /// for the epoch's other steps: counted once.
    func injectNoise(population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                     context: StepContext, counts: inout ActionCounts) {
        guard hiddenLayers.contains(population.layer) else { return }
        let drawsNow = !holdNoise || noiseStep(context) == context.globalStep
        let n = population.count
        if holdNoise {
            var held = heldNoise[population.layer] ?? ContiguousArray(repeating: 0, count: n)
            if drawsNow || held.count != n {
                let key = noiseKey(layer: population.layer, globalStep: noiseStep(context))
                held = ContiguousArray(repeating: 0, count: n)
                held.withUnsafeMutableBufferPointer { z in fillNoise(key, firstNeuron: population.firstNeuron, into: z) }
                heldNoise[population.layer] = held
            }
            // |a_in| < 2^40 (Simulator.step's dendritic sum) and |z| < 2^16 (alpha <= 4096, a
            // fixed-point normal below 5): the wrapping add never wraps and lets the loop vectorise.
            held.withUnsafeBufferPointer { z in for j in 0..<n { aIn[j] &+= z[j] } }
        } else {
            let key = noiseKey(layer: population.layer, globalStep: noiseStep(context))
            for j in 0..<n { aIn[j] += noise(key, neuron: population.firstNeuron + j) }
        }
        if drawsNow { PRNGUnit.countDraws(n, into: &counts) }
    }

    /// synapse.deliverGradedNoise (post-neuron noise): each hidden neuron's output is the graded
    /// s_i + z_i / 256; a population fed by a hidden layer integrates the noise part of the
    /// previous step (one synaptic delay, like spikes): a_in += shift((sum_i w_ki z_i) >> 8,
    /// weightExponent), read through its forward block.
    func deliverGradedNoise(population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                            context: StepContext, counts: inout ActionCounts) {
        guard context.step > 0 else { return }
        for block in population.blocks where hiddenLayers.contains(block.preLayer) {
            let key = noiseKey(layer: block.preLayer, globalStep: noiseStep(localStep: context.step - 1, globalStep: context.globalStep - 1))
            let nPre = block.nPre, nPost = block.nPost
            if gradedSums.count < nPost { gradedSums = [Int64](repeating: 0, count: nPost) }
            var nonzeroProducts = 0
            gradedSums.withUnsafeMutableBufferPointer { sums in
                for j in 0..<nPost { sums[j] = 0 }
                for i in 0..<nPre {
                    let z = noise(key, neuron: i)
                    if z == 0 { continue }
                    nonzeroProducts += GradedDelivery.nonzeroFanOut(block, pre: i)
                    if block.layout == .dense {
                        block.weights.withUnsafeBufferPointer { w in
                            let row = w.baseAddress! + i * nPost
                            for j in 0..<nPost { sums[j] += Int64(row[j]) * z }
                        }
                    } else {
                        for j in 0..<nPost { sums[j] += Int64(block.weight(pre: i, post: j)) * z }
                    }
                }
                for j in 0..<nPost { aIn[j] += FixedPoint.shift(sums[j] >> 8, by: block.weightExponent) }
            }
            PRNGUnit.countDraws(nPre, into: &counts)
            GradedDelivery.count(pre: nPre, post: nPost, bitsPerValue: block.weightBits, nonzeroProducts: nonzeroProducts, into: &counts)
        }
    }
}
