/// Decodes pgoutput protocol v1 messages from bytes; pure, and throws `PGOutputError` on malformed input.
public enum PGOutputDecoder {
    /// Decodes one complete message (an XLogData payload); trailing bytes are an error.
    public static func decode(_ bytes: [UInt8]) throws -> PGOutputMessage {
        var reader = ByteReader(bytes, context: "pgoutput message")
        let type = try reader.byte("message type")
        reader = ByteReader(bytes, offset: 1, context: "pgoutput \(messageName(type)) message")
        let message: PGOutputMessage
        switch type {
        case UInt8(ascii: "B"):
            message = .begin(
                .init(
                    finalLSN: try reader.lsn("final LSN"), commitTime: try reader.int64("commit time"),
                    xid: try reader.uint32("xid")))
        case UInt8(ascii: "C"):
            message = .commit(
                .init(
                    flags: try reader.byte("flags"), commitLSN: try reader.lsn("commit LSN"),
                    endLSN: try reader.lsn("end LSN"), commitTime: try reader.int64("commit time")))
        case UInt8(ascii: "O"):
            message = .origin(.init(lsn: try reader.lsn("origin LSN"), name: try reader.cString("origin name")))
        case UInt8(ascii: "R"):
            message = .relation(try relation(&reader))
        case UInt8(ascii: "Y"):
            message = .type(
                .init(
                    id: try reader.uint32("type oid"), namespace: namespace(try reader.cString("namespace")),
                    name: try reader.cString("type name")))
        case UInt8(ascii: "I"):
            let relationID = try reader.uint32("relation oid")
            try expect(&reader, [UInt8(ascii: "N")], "'N' (new tuple)")
            message = .insert(.init(relationID: relationID, newTuple: try tuple(&reader)))
        case UInt8(ascii: "U"):
            message = .update(try update(&reader))
        case UInt8(ascii: "D"):
            let relationID = try reader.uint32("relation oid")
            let kind = try expect(&reader, [UInt8(ascii: "K"), UInt8(ascii: "O")], "'K' or 'O' (old tuple)")
            let values = try tuple(&reader)
            message = .delete(
                .init(relationID: relationID, oldTuple: kind == UInt8(ascii: "K") ? .key(values) : .full(values)))
        case UInt8(ascii: "T"):
            message = .truncate(try truncate(&reader))
        case UInt8(ascii: "M"):
            message = .message(try logicalMessage(&reader))
        default:
            throw PGOutputError.unknownMessageType(type, in: "pgoutput")
        }
        try reader.expectEnd()
        return message
    }

    private static func relation(_ reader: inout ByteReader) throws -> PGOutputMessage.Relation {
        let id = try reader.uint32("relation oid")
        let namespace = namespace(try reader.cString("namespace"))
        let name = try reader.cString("relation name")
        let identity = PGOutputMessage.ReplicaIdentity(byte: try reader.byte("replica identity"))
        let count = Int(try reader.int16("column count"))
        guard count >= 0 else { throw PGOutputError.negativeLength(count, field: "column count", in: reader.context) }
        var columns: [PGOutputMessage.Column] = []
        // Each column needs at least 10 bytes; never reserve more than the input could hold.
        columns.reserveCapacity(min(count, reader.remaining / 10))
        for _ in 0..<count {
            let flags = try reader.byte("column flags")
            columns.append(
                .init(
                    isKey: flags & 1 == 1, name: try reader.cString("column name"),
                    typeOID: try reader.uint32("type oid"),
                    typeModifier: try reader.int32("type modifier")))
        }
        return .init(id: id, namespace: namespace, name: name, replicaIdentity: identity, columns: columns)
    }

    private static func update(_ reader: inout ByteReader) throws -> PGOutputMessage.Update {
        let relationID = try reader.uint32("relation oid")
        let kinds = [UInt8(ascii: "K"), UInt8(ascii: "O"), UInt8(ascii: "N")]
        var kind = try expect(&reader, kinds, "'K', 'O' or 'N' (tuple kind)")
        var oldTuple: PGOutputMessage.OldTuple?
        if kind != UInt8(ascii: "N") {
            let values = try tuple(&reader)
            oldTuple = kind == UInt8(ascii: "K") ? .key(values) : .full(values)
            kind = try expect(&reader, [UInt8(ascii: "N")], "'N' (new tuple)")
        }
        return .init(relationID: relationID, oldTuple: oldTuple, newTuple: try tuple(&reader))
    }

    private static func truncate(_ reader: inout ByteReader) throws -> PGOutputMessage.Truncate {
        let count = Int(try reader.int32("relation count"))
        guard count >= 0 else { throw PGOutputError.negativeLength(count, field: "relation count", in: reader.context) }
        let options = try reader.byte("options")
        try reader.require(count * 4, "relation oids")
        var ids: [UInt32] = []
        ids.reserveCapacity(count)
        for _ in 0..<count {
            ids.append(try reader.uint32("relation oid"))
        }
        return .init(cascade: options & 1 != 0, restartIdentity: options & 2 != 0, relationIDs: ids)
    }

    private static func logicalMessage(_ reader: inout ByteReader) throws -> PGOutputMessage.LogicalMessage {
        let flags = try reader.byte("flags")
        let lsn = try reader.lsn("message LSN")
        let prefix = try reader.cString("prefix")
        let length = Int(try reader.int32("content length"))
        guard length >= 0 else {
            throw PGOutputError.negativeLength(length, field: "content length", in: reader.context)
        }
        let content = Array(try reader.bytes(length, "content"))
        return .init(transactional: flags & 1 == 1, lsn: lsn, prefix: prefix, content: content)
    }

    private static func tuple(_ reader: inout ByteReader) throws -> [TupleValue] {
        let count = Int(try reader.int16("tuple column count"))
        guard count >= 0 else {
            throw PGOutputError.negativeLength(count, field: "tuple column count", in: reader.context)
        }
        var values: [TupleValue] = []
        values.reserveCapacity(min(count, reader.remaining))
        for column in 0..<count {
            let offset = reader.offset
            switch try reader.byte("tuple column kind") {
            case UInt8(ascii: "n"):
                values.append(.null)
            case UInt8(ascii: "u"):
                values.append(.unchangedToast)
            case UInt8(ascii: "t"):
                let length = Int(try reader.int32("value length"))
                guard length >= 0 else {
                    throw PGOutputError.negativeLength(length, field: "value length", in: reader.context)
                }
                values.append(.text(String(decoding: try reader.bytes(length, "value"), as: UTF8.self)))
            case UInt8(ascii: "b"):
                throw PGOutputError.binaryTupleValue(column: column)
            case let other:
                throw PGOutputError.unexpectedByte(
                    other, expected: "'n', 'u', 't' or 'b' (column kind)", in: reader.context, at: offset)
            }
        }
        return values
    }

    @discardableResult
    private static func expect(_ reader: inout ByteReader, _ allowed: [UInt8], _ expected: String) throws -> UInt8 {
        let offset = reader.offset
        let byte = try reader.byte(expected)
        guard allowed.contains(byte) else {
            throw PGOutputError.unexpectedByte(byte, expected: expected, in: reader.context, at: offset)
        }
        return byte
    }

    // pgoutput sends an empty namespace for pg_catalog (logicalrep_write_namespace).
    private static func namespace(_ name: String) -> String {
        name.isEmpty ? "pg_catalog" : name
    }

    private static func messageName(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "B"): "Begin"
        case UInt8(ascii: "C"): "Commit"
        case UInt8(ascii: "O"): "Origin"
        case UInt8(ascii: "R"): "Relation"
        case UInt8(ascii: "Y"): "Type"
        case UInt8(ascii: "I"): "Insert"
        case UInt8(ascii: "U"): "Update"
        case UInt8(ascii: "D"): "Delete"
        case UInt8(ascii: "T"): "Truncate"
        case UInt8(ascii: "M"): "Message"
        default: "unknown"
        }
    }
}
