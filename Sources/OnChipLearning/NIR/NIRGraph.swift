// A NIR graph (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR) as stored
// in HDF5: a root `version` string and a group `node` with `type` = "NIRGraph", `nodes/<name>/`
// (each node: a `type` string, its parameter arrays and an optional `metadata` group) and
// `edges` (an n x 2 array of node names, from -> to). Parameters stay as read (shape and
// values); the importer interprets them.

import Foundation

public struct NIRNode: Sendable {
    public var name: String
    public var type: String
    /// Parameter arrays by key ("weight", "tau", ...).
    public var parameters: [String: HDF5Dataset]
    /// The node's `metadata` group, if any (free-form; chipsim reads its own `chipsim_*` keys).
    public var metadata: [String: HDF5Dataset]

    public init(name: String, type: String, parameters: [String: HDF5Dataset] = [:], metadata: [String: HDF5Dataset] = [:]) {
        self.name = name; self.type = type; self.parameters = parameters; self.metadata = metadata
    }
}

public struct NIRGraph: Sendable {
    public var version: String?
    /// Nodes sorted by name.
    public var nodes: [NIRNode]
    public var edges: [(from: String, to: String)]
    /// The file the graph came from (for error messages).
    public var file: String

    public init(version: String?, nodes: [NIRNode], edges: [(from: String, to: String)], file: String) {
        self.version = version; self.nodes = nodes.sorted { $0.name < $1.name }; self.edges = edges; self.file = file
    }

    public func node(_ name: String) -> NIRNode? { nodes.first { $0.name == name } }

    public static func read(path: String) throws -> NIRGraph { try NIRGraph(HDF5File(path: path), file: path) }

    public init(_ h: HDF5File, file: String) throws {
        func fail(_ path: String, _ m: String) -> ChipError { ChipError.config(file: file, path: path, message: m) }
        func string(_ path: String) throws -> String {
            guard let d = h.dataset(path) else { throw fail(path, "missing (a NIR file has it)") }
            guard d.strings.count == 1 else { throw fail(path, "expected one string, found a \(d.dtype) array of shape \(d.shape)") }
            return d.strings[0]
        }
        let version = h.dataset("version")?.strings.first
        guard try string("node/type") == "NIRGraph" else {
            throw fail("node/type", "expected \"NIRGraph\" at the top level, found \"\(try string("node/type"))\"")
        }
        guard let e = h.dataset("node/edges") else { throw fail("node/edges", "missing: a NIR graph lists its edges") }
        guard case let .strings(names) = e.values, e.shape.count == 2 && e.shape[1] == 2 || e.count == 0 else {
            throw fail("node/edges", "expected an n x 2 array of node names, found \(e.dtype) of shape \(e.shape)")
        }
        let edges = stride(from: 0, to: names.count - 1, by: 2).map { (from: names[$0], to: names[$0 + 1]) }
        var byName: [String: NIRNode] = [:]
        for (path, d) in h.datasets where path.hasPrefix("node/nodes/") {
            let parts = path.dropFirst("node/nodes/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            var node = byName[name] ?? NIRNode(name: name, type: "")
            if parts.count == 2 {
                if parts[1] == "type" {
                    guard d.strings.count == 1 else { throw fail(path, "expected one string") }
                    node.type = d.strings[0]
                } else {
                    node.parameters[parts[1]] = d
                }
            } else if parts.count == 3 && parts[1] == "metadata" {
                node.metadata[parts[2]] = d
            } else if parts.count >= 3 && parts[1] != "metadata" {
                // A subgraph's datasets: keep them under their relative path; the importer
                // rejects NIRGraph nodes by type before reading them.
                node.parameters[parts.dropFirst().joined(separator: "/")] = d
            }
            byName[name] = node
        }
        for g in h.groups where g.hasPrefix("node/nodes/") {
            let parts = g.dropFirst("node/nodes/".count).split(separator: "/").map(String.init)
            if parts.count == 1 && byName[parts[0]] == nil { byName[parts[0]] = NIRNode(name: parts[0], type: "") }
        }
        for n in byName.values where n.type.isEmpty {
            throw fail("node/nodes/\(n.name)/type", "missing: every NIR node has a type string")
        }
        self.init(version: version, nodes: Array(byName.values), edges: edges, file: file)
    }

    /// The HDF5 tree of this graph as the NIR writer lays it out.
    public func hdf5Tree() -> [String: HDF5Node] {
        var nodeGroups: [String: HDF5Node] = [:]
        func write(_ d: HDF5Dataset) -> HDF5Node {
            switch d.values {
            case let .floats(v): return .dataset(shape: d.shape, values: d.dtype == "float32" ? .float32(v.map { Float($0) }) : .float64(v))
            case let .integers(v): return .dataset(shape: d.shape, values: .int64(v))
            case let .strings(v): return .dataset(shape: d.shape, values: .strings(v))
            }
        }
        for n in nodes {
            var g: [String: HDF5Node] = ["type": .dataset(shape: [], values: .strings([n.type]))]
            for (k, d) in n.parameters { g[k] = write(d) }
            if !n.metadata.isEmpty { g["metadata"] = .group(n.metadata.mapValues(write)) }
            nodeGroups[n.name] = .group(g)
        }
        var root: [String: HDF5Node] = [
            "node": .group([
                "type": .dataset(shape: [], values: .strings(["NIRGraph"])),
                "nodes": .group(nodeGroups),
                "edges": .dataset(shape: [edges.count, 2], values: .strings(edges.flatMap { [$0.from, $0.to] })),
            ]),
        ]
        if let version { root["version"] = .dataset(shape: [], values: .strings([version])) }
        return root
    }
}

extension HDF5Dataset {
    /// A float64 array (NIR parameters are float32 or float64; float64 is written).
    public static func float64(_ v: [Double], shape: [Int]? = nil) -> HDF5Dataset {
        HDF5Dataset(shape: shape ?? [v.count], dtype: "float64", storage: "contiguous", values: .floats(v))
    }

    public static func int64(_ v: [Int64], shape: [Int]? = nil) -> HDF5Dataset {
        HDF5Dataset(shape: shape ?? [v.count], dtype: "int64", storage: "contiguous", values: .integers(v))
    }

    public static func string(_ s: String) -> HDF5Dataset {
        HDF5Dataset(shape: [], dtype: "string", storage: "contiguous", values: .strings([s]))
    }
}
