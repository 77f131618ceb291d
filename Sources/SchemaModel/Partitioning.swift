/// Range partitioning of a table by a time column, in fixed calendar
/// intervals (UTC). The partitioned table itself is rendered by the renderer
/// (`PARTITION BY RANGE (column)` and, when `hasDefaultPartition`, a default
/// partition); the time partitions are made by the maintenance run, ahead of
/// time, because which partitions exist depends on the date.
///
/// Partitions carry no policies and no grants of their own: roles are granted
/// the parent only, so a tenant role cannot read a partition directly.
public struct RangePartitioning: Hashable, Sendable, Codable {
    /// The partition key: a `timestamptz`, `timestamp` or `date` column that
    /// every primary key and unique constraint of the table includes.
    public var column: String
    public var interval: PartitionInterval
    /// How many intervals after the current one maintenance keeps made.
    public var premake: Int
    /// A default partition catches a row no time partition takes (maintenance
    /// has not run, or a back-dated row); maintenance moves such rows out.
    public var hasDefaultPartition: Bool
    /// Whether the statement that creates the table (a migration) also makes
    /// the current interval's partition and `premake` after it, computed
    /// from the date it runs: inserts land in their own partitions and drift
    /// is clean from the first migrate, before cron's first `maintain`.
    public var premakeOnCreate: Bool

    /// Daily partitions: retention runs daily, so with day partitions every
    /// partition but the one straddling the cut-off is wholly past its age
    /// when the run comes, and the row path handles at most a day's rows.
    /// With weekly or monthly partitions nearly every row would cross the
    /// cut-off while its partition still straddled it and go by the row path.
    public static let defaultInterval = PartitionInterval.day
    /// A week of days made ahead: inserts keep landing in their own
    /// partition even when cron has not run for a week.
    public static let defaultPremake = 7

    public init(
        by column: String, interval: PartitionInterval = RangePartitioning.defaultInterval,
        premake: Int = RangePartitioning.defaultPremake, defaultPartition: Bool = true, premakeOnCreate: Bool = false
    ) {
        self.column = column
        self.interval = interval
        self.premake = premake
        self.hasDefaultPartition = defaultPartition
        self.premakeOnCreate = premakeOnCreate
    }

    /// The default partition's name: the parent's name with `_default`.
    public func defaultPartitionName(of table: QualifiedName) -> QualifiedName {
        QualifiedName(table.schema, table.name + "_default")
    }

    /// A time partition's name: the parent's name with `_p` and the first
    /// day of its interval, `YYYYMMDD` (so names sort by time).
    public func partitionName(of table: QualifiedName, startingOn day: CivilDay) -> QualifiedName {
        QualifiedName(table.schema, table.name + "_p" + day.compact)
    }

    /// The name suffix every time partition carries (`_p` + 8 digits).
    public static let partitionSuffixLength = 10
}

public enum PartitionInterval: String, Hashable, Sendable, CaseIterable, Codable {
    case day, week, month

    /// The first day of the interval that contains `day` (weeks begin on
    /// Monday, as `date_trunc('week', …)` has them).
    public func start(containing day: CivilDay) -> CivilDay {
        switch self {
        case .day: return day
        case .week: return CivilDay(daysSinceEpoch: day.daysSinceEpoch - day.isoWeekdayIndex)
        case .month: return CivilDay(year: day.year, month: day.month, day: 1)
        }
    }

    /// The first day of the interval after the one starting on `start`.
    public func next(after start: CivilDay) -> CivilDay {
        switch self {
        case .day: return CivilDay(daysSinceEpoch: start.daysSinceEpoch + 1)
        case .week: return CivilDay(daysSinceEpoch: start.daysSinceEpoch + 7)
        case .month:
            return start.month == 12
                ? CivilDay(year: start.year + 1, month: 1, day: 1)
                : CivilDay(year: start.year, month: start.month + 1, day: 1)
        }
    }
}

/// A calendar day in UTC (proleptic Gregorian), without Foundation.
public struct CivilDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// From days since 1970-01-01 (Howard Hinnant's civil_from_days).
    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Parses `YYYY-MM-DD` (what `to_char(…, 'YYYY-MM-DD')` and `date` print).
    public init?(iso text: some StringProtocol) {
        let parts = text.prefix(10).split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 0 for Monday … 6 for Sunday (1970-01-01 was a Thursday).
    public var isoWeekdayIndex: Int { ((daysSinceEpoch % 7) + 7 + 3) % 7 }

    public func adding(days: Int) -> CivilDay { CivilDay(daysSinceEpoch: daysSinceEpoch + days) }

    /// `YYYY-MM-DD`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }
    /// `YYYYMMDD`.
    public var compact: String { "\(pad(year, 4))\(pad(month, 2))\(pad(day, 2))" }

    public static func < (lhs: CivilDay, rhs: CivilDay) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension RangePartitioning {
    /// The literal of a partition bound for a key of `type`: midnight UTC.
    public func boundLiteral(_ day: CivilDay, for type: ColumnType) -> String {
        switch type {
        case .date: return quoteLiteral(day.description)
        case .timestamp: return quoteLiteral(day.description + " 00:00:00")
        default: return quoteLiteral(day.description + " 00:00:00+00")
        }
    }
}

extension Table {
    /// Tables of the catalog that are range-partitioned by time.
    public var isPartitioned: Bool { partitioning != nil }
}
