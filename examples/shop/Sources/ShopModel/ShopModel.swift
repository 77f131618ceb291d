import SchemaModel

/// A small shop: customers and their orders, in a schema of their own. The
/// generic rule kits do the rest: the order status follows a state machine,
/// `updated_at` keeps itself current, and two retention rules purge
/// cancelled orders and clear old delivery notes.
public struct ShopModel: SchemaProvider {
    public init() {}

    public var defaultSchema: String { "shop" }

    public static let statuses = ["new", "paid", "shipped", "cancelled"]

    public func catalog(schema: String) -> Catalog {
        let customers = QualifiedName(schema, "customers")
        let orders = QualifiedName(schema, "orders")
        let status = QualifiedName(schema, "order_status")
        var catalog = Catalog(
            schemas: [schema],
            extensions: [Extension("pgcrypto")],
            enums: [EnumType(status, labels: Self.statuses, comment: "Lifecycle of an order.")],
            tables: [
                Table(
                    customers,
                    columns: [
                        Column("id", .uuid, default: .genRandomUUID, comment: "Primary key."),
                        Column("name", .text, comment: "The customer's name."),
                        Column("created_at", .timestamptz, default: .now, comment: "When the row was created."),
                        Column("updated_at", .timestamptz, default: .now, comment: "When the row was last updated."),
                    ],
                    primaryKey: PrimaryKey(name: "customers_pkey", columns: ["id"]),
                    checks: [CheckConstraint(name: "customers_name_present", columns: ["name"], "name <> ''", comment: "A customer has a name.")],
                    comment: "People who order."),
                Table(
                    orders,
                    columns: [
                        Column("id", .uuid, default: .genRandomUUID, comment: "Primary key."),
                        Column("customer_id", .uuid, comment: "Who ordered."),
                        Column("status", .enumType(status), default: .literal("new", as: .enumType(status)), comment: "Follows the state machine."),
                        Column("total_cents", .integer, comment: "The order total, never negative."),
                        Column("delivery_note", .text, nullable: true, comment: "Free text for the courier; cleared after a year."),
                        Column("created_at", .timestamptz, default: .now, comment: "When the row was created."),
                        Column("updated_at", .timestamptz, default: .now, comment: "When the row was last updated."),
                    ],
                    primaryKey: PrimaryKey(name: "orders_pkey", columns: ["id"]),
                    foreignKeys: [
                        ForeignKey(name: "orders_customer_id_fkey", columns: ["customer_id"], references: customers, ["id"], onDelete: .cascade),
                    ],
                    checks: [CheckConstraint(name: "orders_total_cents_non_negative", columns: ["total_cents"], "total_cents >= 0", comment: "Totals are never negative.")],
                    indexes: [
                        Index("idx_orders_customer_id", on: ["customer_id"], comment: "Covers the foreign key."),
                        Index("idx_orders_created_at", on: ["created_at"], comment: "Retention scans by age."),
                    ],
                    comment: "Orders; deleted with their customer."),
            ])
        catalog.origin = "The shop schema, generated from the Swift model in examples/shop/Sources/ShopModel."
        let machine = stateMachine(orders)
        let updatedAt = UpdatedAtRule(schema: schema)
        catalog.functions.append(machine.function(lockKeyColumn: nil))
        catalog.functions.append(updatedAt.function())
        for rule in retention(schema: schema) {
            let columns = catalog.table(rule.table)?.columns.map(\.name) ?? []
            catalog.functions.append(rule.function(columns: columns, executeGrantees: []))
        }
        for index in catalog.tables.indices {
            var table = catalog.tables[index]
            if table.name == orders { table.triggers.append(machine.trigger()) }
            table.triggers.append(updatedAt.trigger(for: table.name))
            table.triggers.sort { $0.name < $1.name }
            catalog.tables[index] = table
        }
        return catalog
    }

    func stateMachine(_ orders: QualifiedName) -> StateMachine {
        StateMachine(
            table: orders, column: "status", states: Self.statuses, initial: "new",
            transitions: [
                .init("new", "paid", "payment received"),
                .init("new", "cancelled", "customer cancelled"),
                .init("paid", "shipped", "handed to the courier"),
            ])
    }

    public func retention(schema: String) -> [RetentionRule] {
        let orders = QualifiedName(schema, "orders")
        return [
            RetentionRule(
                name: "cancelled_orders_purge", table: orders, ageColumn: "created_at", olderThanDays: 30,
                condition: SQLExpression("status = 'cancelled'::\(QualifiedName(schema, "order_status").sql)"), action: .delete,
                comment: "Cancelled orders older than 30 days are deleted."),
            RetentionRule(
                name: "delivery_notes_clear", table: orders, ageColumn: "created_at", olderThanDays: 365,
                condition: "delivery_note IS NOT NULL", action: .clear(columns: ["delivery_note"], reportColumn: nil),
                comment: "Delivery notes are cleared after a year."),
        ]
    }

    public func rulesMarkdown(schema: String) -> String {
        "```mermaid\n\(stateMachine(QualifiedName(schema, "orders")).mermaid)\n```\n"
    }
}
