import Foundation

/// A value sent as a text-format query parameter (`$1`, `$2`, …).
/// `nil` (an `Optional` holding nothing) is sent as SQL NULL.
public protocol PQParameter {
    /// The value in PostgreSQL's text input format, or `nil` for NULL.
    var pqText: String? { get }
}

/// A value read from a text-format result column.
public protocol PQDecodable {
    /// Converts the server's text output; throws `PQError` of kind `.decoding`.
    init(pqText: String) throws
}

extension Optional: PQParameter where Wrapped: PQParameter {
    public var pqText: String? { self?.pqText }
}

extension String: PQParameter, PQDecodable {
    public var pqText: String? { self }
    public init(pqText: String) { self = pqText }
}

extension Substring: PQParameter {
    public var pqText: String? { String(self) }
}

extension Int: PQParameter, PQDecodable {
    public var pqText: String? { String(self) }
    public init(pqText: String) throws { self = try decodeInteger(pqText) }
}

extension Int64: PQParameter, PQDecodable {
    public var pqText: String? { String(self) }
    public init(pqText: String) throws { self = try decodeInteger(pqText) }
}

extension Int32: PQParameter, PQDecodable {
    public var pqText: String? { String(self) }
    public init(pqText: String) throws { self = try decodeInteger(pqText) }
}

private func decodeInteger<T: FixedWidthInteger>(_ text: String) throws -> T {
    guard let value = T(text) else { throw PQError.decoding(text, as: T.self) }
    return value
}

extension Double: PQParameter, PQDecodable {
    public var pqText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)
    }
    public init(pqText: String) throws {
        switch pqText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(pqText) else { throw PQError.decoding(pqText, as: Double.self) }
            self = value
        }
    }
}

extension Bool: PQParameter, PQDecodable {
    public var pqText: String? { self ? "t" : "f" }
    public init(pqText: String) throws {
        switch pqText {
        case "t", "true", "on", "1": self = true
        case "f", "false", "off", "0": self = false
        default: throw PQError.decoding(pqText, as: Bool.self)
        }
    }
}

extension UUID: PQParameter, PQDecodable {
    public var pqText: String? { uuidString.lowercased() }
    public init(pqText: String) throws {
        guard let value = UUID(uuidString: pqText) else { throw PQError.decoding(pqText, as: UUID.self) }
        self = value
    }
}

extension Date: PQParameter, PQDecodable {
    /// Sent as an ISO 8601 timestamp in UTC with microseconds, which `timestamptz` reads exactly.
    public var pqText: String? { PQTimestamp.format(self) }
    /// Reads `timestamptz` (and `timestamp`, taken as UTC) in the ISO DateStyle.
    public init(pqText: String) throws {
        guard let value = PQTimestamp.parse(pqText) else { throw PQError.decoding(pqText, as: Date.self) }
        self = value
    }
}

/// `bytea` contents. Sent and read in the hex format (`\x…`).
public struct PQBytes: Hashable, Sendable, PQParameter, PQDecodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var pqText: String? {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        for (i, byte) in bytes.enumerated() {
            out[2 + 2 * i] = digits[Int(byte >> 4)]
            out[3 + 2 * i] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public init(pqText: String) throws {
        let utf8 = Array(pqText.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"),
            utf8.count % 2 == 0
        else { throw PQError.decoding(String(pqText.prefix(16)), as: PQBytes.self) }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = hexValue(utf8[i]), let low = hexValue(utf8[i + 1]) else {
                throw PQError.decoding(String(pqText.prefix(16)), as: PQBytes.self)
            }
            bytes.append(high << 4 | low)
            i += 2
        }
        self.bytes = bytes
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// `json`/`jsonb` text, kept as the server printed it. Decode it with
/// `JSONDecoder` or `JSONSerialization` as the caller prefers.
public struct PQJSON: Hashable, Sendable, PQParameter, PQDecodable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(pqText: String) { self.text = pqText }
    public var pqText: String? { text }
    /// The JSON parsed with `JSONSerialization` (fragments allowed).
    public func object() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

enum PQTimestamp {
    /// `2025-09-22 10:11:12.123456+00` (DateStyle ISO). Also accepts a `T`
    /// separator, offsets `+hh`, `+hh:mm`, `+hh:mm:ss`, and no offset (UTC).
    static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= s.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let c = s[i]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
                i += 1
            }
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"),
            let day = number(2)
        else { return nil }
        guard i < s.count, s[i] == 32 || s[i] == UInt8(ascii: "T") else { return nil }
        i += 1
        guard let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        var fraction = 0.0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                fraction += Double(s[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < s.count {
            let sign: Int
            switch s[i] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            case UInt8(ascii: "Z"): sign = 0
            default: return nil
            }
            i += 1
            if sign != 0 {
                guard let oh = number(2) else { return nil }
                var om = 0
                var os = 0
                if expect(":") {
                    guard let m = number(2) else { return nil }
                    om = m
                    if expect(":") {
                        guard let sec = number(2) else { return nil }
                        os = sec
                    }
                }
                offset = sign * (oh * 3600 + om * 60 + os)
            }
        }
        guard i == s.count else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        guard let base = utcCalendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction - Double(offset))
    }

    static func format(_ date: Date) -> String {
        // Microsecond precision, rounded the way the server rounds.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (micros / 1_000_000).rounded(.down)
        let fraction = Int(micros - seconds * 1_000_000)
        let whole = Date(timeIntervalSince1970: seconds)
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        func pad(_ v: Int?, _ width: Int) -> String {
            let text = String(v ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) "
            + "\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(fraction, 6))+00"
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()
}

extension PQError {
    static func decoding<T>(_ text: String, as type: T.Type, column: String? = nil) -> PQError {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        var message = "cannot read \"\(shown)\" as \(T.self)"
        if let column { message += " (column \(column))" }
        return PQError(kind: .decoding, message: message)
    }
}
