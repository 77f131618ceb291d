import SchemaModel
import XCTest

final class QuotingTests: XCTestCase {
    func testQuoteIdentifierDoublesEmbeddedQuotes() {
        XCTAssertEqual(quoteIdentifier("call_sessions"), #""call_sessions""#)
        XCTAssertEqual(quoteIdentifier(#"we"ird"#), #""we""ird""#)
        XCTAssertEqual(quoteIdentifier(#"""#), #""""""#)
        XCTAssertEqual(quoteIdentifier("MixedCase"), #""MixedCase""#)
    }

    func testQuoteIfNeededLeavesPlainNamesAloneAndQuotesHostileOnes() {
        XCTAssertEqual(quoteIdentifierIfNeeded("call_sessions"), "call_sessions")
        XCTAssertEqual(quoteIdentifierIfNeeded("timestamp"), "timestamp")  // unreserved keyword
        XCTAssertEqual(quoteIdentifierIfNeeded("user"), #""user""#)
        XCTAssertEqual(quoteIdentifierIfNeeded("select"), #""select""#)
        XCTAssertEqual(quoteIdentifierIfNeeded("Status"), #""Status""#)
        XCTAssertEqual(quoteIdentifierIfNeeded("1abc"), #""1abc""#)
        XCTAssertEqual(quoteIdentifierIfNeeded("a b"), #""a b""#)
        XCTAssertEqual(quoteIdentifierIfNeeded("räksmörgås"), #""räksmörgås""#)
        XCTAssertEqual(quoteIdentifierIfNeeded(#"x"; DROP TABLE y; --"#), #""x""; DROP TABLE y; --""#)
        XCTAssertEqual(quoteIdentifierIfNeeded(""), #""""#)
    }

    func testQuoteLiteral() {
        XCTAssertEqual(quoteLiteral("it's"), "'it''s'")
        XCTAssertEqual(quoteLiteral(#"a\b"#), #"E'a\\b'"#)
        XCTAssertEqual(quoteLiteral(#"a\'b"#), #"E'a\\''b'"#)
    }
}
