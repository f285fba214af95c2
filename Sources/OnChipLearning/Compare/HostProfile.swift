import Foundation
import ChipModel

/// A host computer that runs the off-chip baseline (configs/host/*.json): energy per FLOP and
/// per DRAM byte, the host-to-chip link's energy and bandwidth, and the throughput figures that
/// turn counted operations into a (roofline) training time. Every figure carries its source
/// or the assumption behind it; the loader rejects a figure without one.
///
/// File format: {"name", "description", "figures": {KEY: {"value": number, "unit": text,
/// "source": text, "assumption": bool}}} with KEY one of `HostProfile.figureKeys`.
public struct HostProfile: Equatable, Sendable {
    public struct Figure: Equatable, Sendable {
        public var value: Double
        public var unit: String
        public var source: String
        public var assumption: Bool
        public init(_ value: Double, unit: String = "", source: String = "", assumption: Bool = false) {
            self.value = value; self.unit = unit; self.source = source; self.assumption = assumption
        }
    }

    public static let figureKeys = ["picojoulesPerFlop", "picojoulesPerDRAMByte", "linkPicojoulesPerByte",
                                    "linkBytesPerSecond", "peakFlopsPerSecond", "dramBytesPerSecond", "utilisation"]

    public var name: String
    public var description: String
    public var picojoulesPerFlop: Figure
    public var picojoulesPerDRAMByte: Figure
    /// Host <-> chip link: energy per byte moved and bandwidth.
    public var linkPicojoulesPerByte: Figure
    public var linkBytesPerSecond: Figure
    public var peakFlopsPerSecond: Figure
    public var dramBytesPerSecond: Figure
    /// Fraction of peak FLOP/s the twin's small, sparse kernels sustain (time model only).
    public var utilisation: Figure

    public init(name: String, picojoulesPerFlop: Double, picojoulesPerDRAMByte: Double, linkPicojoulesPerByte: Double,
                linkBytesPerSecond: Double = 1e9, peakFlopsPerSecond: Double = 1e12, dramBytesPerSecond: Double = 1e11,
                utilisation: Double = 1) {
        self.name = name; description = ""
        self.picojoulesPerFlop = Figure(picojoulesPerFlop); self.picojoulesPerDRAMByte = Figure(picojoulesPerDRAMByte)
        self.linkPicojoulesPerByte = Figure(linkPicojoulesPerByte); self.linkBytesPerSecond = Figure(linkBytesPerSecond)
        self.peakFlopsPerSecond = Figure(peakFlopsPerSecond); self.dramBytesPerSecond = Figure(dramBytesPerSecond)
        self.utilisation = Figure(utilisation)
    }

    public init(json: JSONValue, file: String) throws {
        let r = try JSONReader(json, file: file, path: "$")
        name = try r.string("name")
        description = try r.string("description", default: "")
        let f = try r.object("figures")
        func figure(_ key: String, min: Double, max: Double? = nil) throws -> Figure {
            let o = try f.object(key)
            let v = try o.double("value", min: min, max: max)
            let src = try o.string("source")
            if src.trimmingCharacters(in: .whitespaces).isEmpty { throw o.error("source", "every figure needs its source or assumption written out") }
            let fig = Figure(v, unit: try o.string("unit", default: ""), source: src, assumption: try o.bool("assumption", default: false))
            try o.rejectUnknownKeys()
            return fig
        }
        picojoulesPerFlop = try figure("picojoulesPerFlop", min: 0)
        picojoulesPerDRAMByte = try figure("picojoulesPerDRAMByte", min: 0)
        linkPicojoulesPerByte = try figure("linkPicojoulesPerByte", min: 0)
        linkBytesPerSecond = try figure("linkBytesPerSecond", min: 1)
        peakFlopsPerSecond = try figure("peakFlopsPerSecond", min: 1)
        dramBytesPerSecond = try figure("dramBytesPerSecond", min: 1)
        utilisation = try figure("utilisation", min: 1e-6, max: 1)
        try f.rejectUnknownKeys()
        try r.rejectUnknownKeys()
    }

    public static func load(path: String) throws -> HostProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the host profile (does it exist?)")
        }
        return try HostProfile(json: try JSONValue.parse(data, file: path), file: path)
    }

    var figures: [(String, Figure)] {
        [("picojoulesPerFlop", picojoulesPerFlop), ("picojoulesPerDRAMByte", picojoulesPerDRAMByte),
         ("linkPicojoulesPerByte", linkPicojoulesPerByte), ("linkBytesPerSecond", linkBytesPerSecond),
         ("peakFlopsPerSecond", peakFlopsPerSecond), ("dramBytesPerSecond", dramBytesPerSecond), ("utilisation", utilisation)]
    }

    public var json: JSONValue {
        .object([("name", .string(name)), ("description", .string(description)),
                 ("figures", .object(figures.map { k, f in
                     (k, .object([("value", .double(f.value)), ("unit", .string(f.unit)), ("source", .string(f.source)), ("assumption", .bool(f.assumption))]))
                 }))])
    }
}

/// Host-side counts of an off-chip method: what the host computed and moved.
public struct HostCounts: Equatable, Sendable {
    public var flops: UInt64
    public var dramBytes: UInt64
    /// Bytes over the host <-> chip link (host.io.bytes).
    public var linkBytes: UInt64
    public init(flops: UInt64 = 0, dramBytes: UInt64 = 0, linkBytes: UInt64 = 0) {
        self.flops = flops; self.dramBytes = dramBytes; self.linkBytes = linkBytes
    }
}

/// Host energy and time of some counts on a profile.
public struct HostCost: Equatable, Sendable {
    public var flopPicojoules: Double
    public var dramPicojoules: Double
    public var linkPicojoules: Double
    public var totalPicojoules: Double { flopPicojoules + dramPicojoules + linkPicojoules }
    public var computeSeconds: Double
    public var linkSeconds: Double
    public var seconds: Double { computeSeconds + linkSeconds }
}

/// The host cost model, one pure function of counts and profile (like EnergyModel for the chip):
///   energy  = flops * pJ/FLOP + dramBytes * pJ/DRAM byte + linkBytes * link pJ/byte
///   compute = max(flops / (peak FLOP/s * utilisation), dramBytes / DRAM bytes/s)   (roofline)
///   link    = linkBytes / link bytes/s;  time = compute + link (no overlap assumed)
public enum HostEnergyModel {
    public static func cost(_ c: HostCounts, profile p: HostProfile) -> HostCost {
        let flopPJ = Double(c.flops) * p.picojoulesPerFlop.value
        let dramPJ = Double(c.dramBytes) * p.picojoulesPerDRAMByte.value
        let linkPJ = Double(c.linkBytes) * p.linkPicojoulesPerByte.value
        let compute = max(Double(c.flops) / (p.peakFlopsPerSecond.value * p.utilisation.value),
                          Double(c.dramBytes) / p.dramBytesPerSecond.value)
        return HostCost(flopPicojoules: flopPJ, dramPicojoules: dramPJ, linkPicojoules: linkPJ,
                        computeSeconds: compute, linkSeconds: Double(c.linkBytes) / p.linkBytesPerSecond.value)
    }
}
