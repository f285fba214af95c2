import Foundation
@testable import ChipModel

/// Explicit spikes for tests: spikes[sample][step] = channels.
struct ListSource: SpikeSource {
    let channels: Int
    let spikes: [[[Int32]]]
    var samples: Int { spikes.count }
    func label(sample: Int) -> Int? { nil }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        if step < spikes[sample].count { out.append(contentsOf: spikes[sample][step]) }
    }
}

func config(_ text: String, file: String = "test.json") throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse(text, file: file), file: file)
}

/// Expects `body` to throw a ChipError whose description contains every fragment.
func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "<no error>" } catch { return "\(error)" }
}

let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
