import PQClient
import SchemaModel

/// `drift --target citus`: the objects Citus itself adds, which are expected
/// rather than extra, and the check that each table is placed as the model's
/// `CitusLayout` says (`pg_dist_partition` and `pg_dist_colocation`).
public enum CitusPlacementCheck {
    /// Citus' own extensions (`citus` installs `citus_columnar`).
    public static let extensions: Set<String> = ["citus", "citus_columnar"]

    /// The live catalog without what Citus adds on its own: its extensions,
    /// and the TRUNCATE trigger it puts on every distributed table.
    public static func removingCitusObjects(from catalog: Catalog) -> Catalog {
        var catalog = catalog
        catalog.extensions.removeAll { extensions.contains($0.name) }
        for index in catalog.tables.indices {
            catalog.tables[index].triggers.removeAll { $0.function == QualifiedName("pg_catalog", "citus_truncate_trigger") }
        }
        return catalog
    }

    /// One finding per table placed otherwise than the layout says.
    public static func findings(for catalog: Catalog, on connection: Connection) throws -> [PartitionFinding] {
        guard let layout = catalog.citus else { return [] }
        let hasCitus = try connection.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus')").scalar(Bool.self)
        guard hasCitus else {
            return [PartitionFinding(table: connection.database, problem: "the citus extension is not installed; the model is for a Citus cluster (--target citus)")]
        }
        var findings: [PartitionFinding] = []
        for table in catalog.tables {
            let rows = try connection.execute(
                """
                SELECT CASE WHEN p.partmethod = 'n' AND p.repmodel = 's' THEN 'local' ELSE p.partmethod::text END AS method,
                    CASE WHEN p.partmethod = 'h' THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS column,
                    p.colocationid = (SELECT a.colocationid FROM pg_catalog.pg_dist_partition a WHERE a.logicalrelid = pg_catalog.to_regclass($2)) AS colocated
                FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = pg_catalog.to_regclass($1)
                """, [table.name.sql, layout.colocateWith.sql])
            let exists = try connection.execute("SELECT pg_catalog.to_regclass($1) IS NOT NULL", [table.name.sql]).scalar(Bool.self)
            guard exists else { continue }  // a missing table is the differ's to report
            let expected = layout.placement(of: table.name)
            let actual: String
            if let row = rows.first {
                let method: String = try row.decode("method")
                switch method {
                case "n": actual = CitusLayout.Placement.reference.description
                case "h":
                    let column: String = try row.decodeIfPresent("column") ?? "?"
                    let colocated: Bool = try row.decodeIfPresent("colocated") ?? false
                    actual = colocated || table.name == layout.colocateWith
                        ? CitusLayout.Placement.distributed(column: column, colocatedWith: layout.colocateWith).description
                        : "distributed by \(column), not co-located with \(layout.colocateWith)"
                case "local": actual = "a Citus local table (on the coordinator, in Citus' metadata)"
                default: actual = "a Citus table of method \(method)"
                }
            } else {
                actual = CitusLayout.Placement.coordinator.description
            }
            if actual != expected.description {
                findings.append(PartitionFinding(table: table.name.description, problem: "is \(actual); the model makes it \(expected.description)"))
            }
        }
        return findings
    }
}
