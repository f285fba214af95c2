import ChipModel

// The config form of one trace's parameters, shared by every learning section:
//   {"bits": 1...16, "decay": 0...4096, "impulse": 0...2^bits - 1, "rounding": "stochastic" | "floor"}
// Missing keys take the given defaults; unknown keys are errors.
enum TraceConfig {
    static func decode(_ r: JSONReader?, default d: TraceParameters) throws -> TraceParameters {
        guard let r else { return d }
        let bits = try r.int("bits", default: d.bits, range: 1...16)
        let t = TraceParameters(bits: bits, decay: Int32(try r.int("decay", default: Int(d.decay), range: 0...4096)),
                                impulse: Int32(try r.int("impulse", default: Int(d.impulse), range: 0...((1 << bits) - 1))),
                                rounding: TraceRounding(rawValue: try r.string("rounding", default: d.rounding.rawValue,
                                                                               oneOf: TraceRounding.allCases.map(\.rawValue)))!)
        try r.rejectUnknownKeys()
        return t
    }

    static func json(_ t: TraceParameters) -> JSONValue {
        .object([("bits", .int(t.bits)), ("decay", .int(Int(t.decay))), ("impulse", .int(Int(t.impulse))),
                 ("rounding", .string(t.rounding.rawValue))])
    }
}
