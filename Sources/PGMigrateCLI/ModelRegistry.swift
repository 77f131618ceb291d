import Foundation
import SchemaModel

/// The one provider of the model the commands work on, set once before the
/// command line is parsed.
enum ModelRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var provider: (any SchemaProvider)?

    static var current: any SchemaProvider {
        lock.withLock { provider } ?? EmptyModel()
    }

    static func set(_ provider: any SchemaProvider) {
        lock.withLock { Self.provider = provider }
    }

    /// A model with nothing in it (when no provider was set).
    struct EmptyModel: SchemaProvider {
        func catalog(schema: String) -> Catalog { Catalog(schemas: [schema]) }
    }
}
