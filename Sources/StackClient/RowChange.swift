import Foundation
import StackCore

/// One row an apply inserted, updated or deleted in a synced table, with the columns that changed.
public struct RowChange: Sendable, Equatable, Hashable {
    /// What happened to the row.
    public enum Operation: String, Sendable, Hashable {
        /// The row is new on the device.
        case insert
        /// Some columns changed.
        case update
        /// The row is gone from the device.
        case delete
    }

    /// Table (object type).
    public var table: String
    /// Row id.
    public var id: String
    /// Insert, update or delete.
    public var operation: Operation
    /// New values of the columns that changed (all columns of an insert, none for a delete; `null` when cleared).
    public var columns: [String: JSONValue]

    /// Creates a change.
    public init(table: String, id: String, operation: Operation, columns: [String: JSONValue]) {
        self.table = table
        self.id = id
        self.operation = operation
        self.columns = columns
    }

    /// Whether the row was deleted.
    public var deleted: Bool { operation == .delete }

    /// The change from a row's old to its new `data` JSON (nil ⇒ absent); nil when nothing differs.
    ///
    /// An `id` member is not a column change: the id is the row's key, and the server's data carries it while a
    /// local write's data does not, so the device's own insert coming back is not reported as `update id=…`.
    init?(table: String, id: String, old: String?, new: String?) {
        var before = Self.object(old)
        var after = Self.object(new)
        before["id"] = nil
        after["id"] = nil
        switch (old, new) {
        case (nil, nil): return nil
        case (nil, _?): self.init(table: table, id: id, operation: .insert, columns: after.filter { $0.value != .null })
        case (_?, nil): self.init(table: table, id: id, operation: .delete, columns: [:])
        case (_?, _?):
            var columns: [String: JSONValue] = [:]
            for key in Set(before.keys).union(after.keys) where before[key] ?? .null != after[key] ?? .null {
                columns[key] = after[key] ?? .null
            }
            if columns.isEmpty { return nil }
            self.init(table: table, id: id, operation: .update, columns: columns)
        }
    }

    private static func object(_ text: String?) -> [String: JSONValue] {
        guard let text, case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        else { return [:] }
        return object
    }
}
