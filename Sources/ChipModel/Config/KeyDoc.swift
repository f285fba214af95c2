// Components describe themselves (SST-style): each config section declares its keys with
// type, default and meaning next to the code that decodes it. `chipsim describe` and
// docs/CONFIG.md are generated from these declarations, and a test checks that every key
// the decoders accept is declared, so the docs cannot drift from the code.

public struct KeyDoc: Sendable {
    public let key: String
    public let type: String
    public let defaultValue: String
    public let meaning: String
    public init(_ key: String, _ type: String, _ defaultValue: String, _ meaning: String) {
        self.key = key; self.type = type; self.defaultValue = defaultValue; self.meaning = meaning
    }
}

public struct SectionDoc: Sendable {
    /// JSON path of the section, e.g. "$.chip.core" or "$.network.layers[]".
    public let path: String
    public let summary: String
    public let keys: [KeyDoc]
    public init(_ path: String, _ summary: String, _ keys: [KeyDoc]) {
        self.path = path; self.summary = summary; self.keys = keys
    }

    public var keyNames: [String] { keys.map(\.key) }
}
