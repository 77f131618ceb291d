import SchemaModel
import XCTest

final class ReadmeTests: XCTestCase {
    /// The README shows the state diagram, the event table and the retention
    /// rules printed from the model; a model change must update it.
    func testReadmeShowsTheRulesAsTheModelPrintsThem() throws {
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        XCTAssertTrue(
            text.contains(CallFeedbackSchema.rules().markdown),
            "README.md is out of date: paste the output of `pgmigrate schema --rules-markdown`")
    }

    /// The README's layout names every module under Sources/, and its
    /// Architecture section names every Swift module (the C modules share a row).
    func testReadmeMapsEveryModule() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let architecture = text.range(of: "## Architecture"), let layout = text.range(of: "## Layout") else {
            return XCTFail("README.md has no Architecture or Layout section")
        }
        let map = text[architecture.upperBound..<layout.lowerBound]
        let modules = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path).sorted()
        XCTAssertTrue(modules.contains("SchemaModel"), "\(modules)")
        for module in modules {
            XCTAssertTrue(text.contains("| `Sources/\(module)` |"), "the README's Layout misses Sources/\(module)")
            // C modules (a module map, no Swift) share one row.
            let isCModule = FileManager.default.fileExists(
                atPath: root.appendingPathComponent("Sources/\(module)/module.modulemap").path)
            if !isCModule {
                XCTAssertTrue(map.contains("| `\(module)` |"), "the README's Architecture misses \(module)")
            }
        }
    }
}
