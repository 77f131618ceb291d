/// A model the CLI can work with: its catalog and the rule values the
/// `purge`, `erase` and `schema --rules-markdown` commands need. The
/// pgmigrate CLI is built over the call-feedback model's provider; an
/// application builds the same CLI over its own (see `examples/`).
public protocol SchemaProvider: Sendable {
    /// The schema the model's tables live in unless `--schema` says otherwise.
    var defaultSchema: String { get }
    /// The model: tables plus rules expanded into functions, triggers, policies.
    func catalog(schema: String) -> Catalog
    /// The model for a deployment target (`--target`); nil when the model
    /// has no such deployment (by default: only `postgres`).
    func catalog(schema: String, target: DeploymentTarget) -> Catalog?
    /// The retention rules `purge` runs (none by default).
    func retention(schema: String) -> [RetentionRule]
    /// The erasure `erase` runs (`nil`: the model has none).
    func erasure(schema: String) -> Erasure?
    /// The encrypted column `rotate-phone-key` rotates the key of (`nil`:
    /// none, or one without key rotation).
    func keyRotation(schema: String) -> EncryptedHashedColumn?
    /// The rules as Markdown, for `schema --rules-markdown` and the README.
    func rulesMarkdown(schema: String) -> String
    /// Server settings that hold secrets (an encryption key): `drift`
    /// reports them when stored where other roles can read them. By default
    /// the erasure's key setting.
    func secretSettings(schema: String) -> [String]
    /// The rules `pgmigrate typescript` renders as data and types beside
    /// the tables (state machines, event rules, encrypted columns, …).
    func typeScriptRules(schema: String) -> TypeScriptRenderer.Rules
    /// Where the TypeScript module is committed (`typescript --check`'s default).
    var typeScriptFile: String { get }
}

extension SchemaProvider {
    public var defaultSchema: String { "public" }
    public func catalog(schema: String, target: DeploymentTarget) -> Catalog? {
        target == .postgres ? catalog(schema: schema) : nil
    }
    public func retention(schema: String) -> [RetentionRule] { [] }
    public func erasure(schema: String) -> Erasure? { nil }
    public func keyRotation(schema: String) -> EncryptedHashedColumn? { nil }
    public func rulesMarkdown(schema: String) -> String { "" }
    public func secretSettings(schema: String) -> [String] {
        let all = (erasure(schema: schema).map { [$0.keySetting] + ($0.newKeySetting.map { [$0] } ?? []) } ?? [])
            + (keyRotation(schema: schema).map { [$0.keySetting] + ($0.rotation.map { [$0.newKeySetting] } ?? []) } ?? [])
        var seen = Set<String>()
        return all.filter { seen.insert($0).inserted }
    }
    public func typeScriptRules(schema: String) -> TypeScriptRenderer.Rules { TypeScriptRenderer.Rules() }
    public var typeScriptFile: String { "types/schema.ts" }
}
