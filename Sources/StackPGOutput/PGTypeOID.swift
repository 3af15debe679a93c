/// Oids of the builtin Postgres types the mapper treats specially (`pg_type.oid`, stable across versions).
public enum PGTypeOID {
    /// `bool`.
    public static let bool: UInt32 = 16
    /// `bytea`.
    public static let bytea: UInt32 = 17
    /// `int8`.
    public static let int8: UInt32 = 20
    /// `int2`.
    public static let int2: UInt32 = 21
    /// `int4`.
    public static let int4: UInt32 = 23
    /// `text`.
    public static let text: UInt32 = 25
    /// `oid`.
    public static let oid: UInt32 = 26
    /// `json`.
    public static let json: UInt32 = 114
    /// `float4`.
    public static let float4: UInt32 = 700
    /// `float8`.
    public static let float8: UInt32 = 701
    /// `date`.
    public static let date: UInt32 = 1082
    /// `time`.
    public static let time: UInt32 = 1083
    /// `timestamp`.
    public static let timestamp: UInt32 = 1114
    /// `timestamptz`.
    public static let timestamptz: UInt32 = 1184
    /// `numeric`.
    public static let numeric: UInt32 = 1700
    /// `uuid`.
    public static let uuid: UInt32 = 2950
    /// `pg_lsn`.
    public static let pgLSN: UInt32 = 3220
    /// `jsonb`.
    public static let jsonb: UInt32 = 3802

    /// Element type of each builtin array type (`pg_type.typelem` for `typcategory = 'A'`).
    public static let arrayElement: [UInt32: UInt32] = [
        1000: bool, 1001: bytea, 1002: 18, 1003: 19, 1005: int2, 1007: int4, 1009: text, 1014: 1042, 1015: 1043,
        1016: int8, 1021: float4, 1022: float8, 1028: oid, 1115: timestamp, 1182: date, 1183: time,
        1185: timestamptz, 1187: 1186, 1231: numeric, 1270: 1266, 199: json, 2951: uuid, 3221: pgLSN,
        3807: jsonb, 1040: 829, 1041: 869, 651: 650, 1017: 600, 1018: 601, 1019: 602, 1020: 603, 1027: 604,
        719: 718, 791: 790, 1561: 1560, 1563: 1562, 2949: 2950, 3643: 3614, 3645: 3615, 4073: 4072, 1263: 2275,
    ]
}
