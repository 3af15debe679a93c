/// Maps Postgres text-format values to the values PowerSync syncs (edition 1 / "legacy" representations).
public enum PGValueMapper {
    /// Maps one value; `nil` means "omit this column" (bytea is not synced). A nil `text` is SQL NULL.
    public static func map(typeOID: UInt32, text: String?) -> PGJSONValue? {
        guard let text else { return .null }
        // Text, the most common column type, is taken as it is without the array-type lookup.
        if typeOID == PGTypeOID.text { return .text(text) }
        if let element = PGTypeOID.arrayElement[typeOID] {
            guard let array = try? PGArrayParser.parse(text) else { return .text(text) }
            return .text(jsonArray(array, elementOID: element))
        }
        return scalar(typeOID: typeOID, text: text)
    }

    /// Maps a resolved row, omitting dropped columns (bytea) and unchanged TOAST values (the caller merges those).
    public static func map(row: [String: PGColumnValue], table: PGTable) -> [String: PGJSONValue] {
        var result: [String: PGJSONValue] = [:]
        result.reserveCapacity(row.count)
        for column in table.columns {
            switch row[column.name] {
            case .none, .unchangedToast?:
                continue
            case .null?:
                result[column.name] = .null
            case .text(let text)?:
                if let value = map(typeOID: column.typeOID, text: text) {
                    result[column.name] = value
                }
            }
        }
        return result
    }

    /// Maps a non-array value (also used for array elements).
    static func scalar(typeOID: UInt32, text: String) -> PGJSONValue? {
        switch typeOID {
        case PGTypeOID.bool:
            return .integer(text == "t" || text == "true" ? 1 : 0)
        case PGTypeOID.int2, PGTypeOID.int4, PGTypeOID.int8, PGTypeOID.oid:
            return Int64(text).map(PGJSONValue.integer) ?? .text(text)
        case PGTypeOID.float4, PGTypeOID.float8:
            // JSON has no NaN/Infinity; JSON.stringify turns them into null, so PowerSync clients see null.
            guard let value = Double(text) else { return .text(text) }
            return value.isFinite ? .real(value) : .null
        case PGTypeOID.bytea:
            return nil
        case PGTypeOID.date:
            switch text {
            case "infinity": return .text("9999-12-31")
            case "-infinity": return .text("0000-01-01")
            default: return .text(text)
            }
        case PGTypeOID.timestamp:
            switch text {
            case "infinity": return .text("9999-12-31 23:59:59")
            case "-infinity": return .text("0000-01-01 00:00:00")
            default: return .text(text)
            }
        case PGTypeOID.timestamptz:
            return PGTimestamp.legacyUTC(text).map(PGJSONValue.text) ?? .null
        case PGTypeOID.pgLSN:
            return .text(LSN(text)?.description ?? text)
        default:
            return .text(text)
        }
    }

    private static func jsonArray(_ value: PGArrayParser.Element, elementOID: UInt32) -> String {
        switch value {
        case .null:
            return "null"
        case .array(let elements):
            return "[" + elements.map { jsonArray($0, elementOID: elementOID) }.joined(separator: ",") + "]"
        case .value(let text):
            return (scalar(typeOID: elementOID, text: text) ?? .null).jsonLiteral
        }
    }
}
