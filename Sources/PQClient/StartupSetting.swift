/// A server setting sent when the connection starts (`-c name=value` in
/// libpq's `options`), for values that must never be statement text.
///
/// The value is kept out of `description` and `debugDescription`, so a
/// setting printed by mistake shows its name only.
public struct StartupSetting: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=***" }
    public var debugDescription: String { description }

    /// `inherited` followed by one `-c name=value` per setting, with spaces
    /// and backslashes escaped as libpq's `options` requires.
    static func options(_ settings: [StartupSetting], after inherited: String) -> String {
        var parts = inherited.isEmpty ? [] : [inherited]
        for setting in settings {
            parts.append("-c " + escape(setting.name) + "=" + escape(setting.value))
        }
        return parts.joined(separator: " ")
    }

    /// In `options`, an unescaped space separates arguments; `\\` is a backslash.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "\\" || character == " " { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
