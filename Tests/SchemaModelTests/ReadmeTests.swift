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
}
