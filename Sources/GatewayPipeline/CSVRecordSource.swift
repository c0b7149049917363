import Foundation
import GatewayCore
import GatewayFormats
import GatewayScreen

/// Where `RecordStream` takes a CSV file's records from, in file order: the mapped source (every row through the full
/// path) or the screened one (`validate` on flat rows: rows vouched for on their bytes, on every core). The stream
/// reads either in one loop, specialised for each (no dynamic dispatch per row).
protocol CSVRecordSource {
    /// The next item, or nil at the end of the file; bytes in it stay valid until the next call.
    mutating func next() throws -> CSVSourceItem?
    /// The screen whose fingerprint a record accepted by the full path gets, to be checked for repeats beside the
    /// screened ones; nil when records are not checked here.
    var screen: RowScreen? { get }
    /// Whether a valid record (by its business key's digest and its fingerprint) repeats an earlier one.
    func check(_ key: UInt64, fingerprint: UInt64) -> Repeat
    /// The masked business key and the text of a screened row's bytes, to word a conflict.
    func reread(_ bytes: UnsafeBufferPointer<UInt8>) -> (maskedKey: String, raw: String)
}

/// What a `CSVRecordSource` gives.
enum CSVSourceItem {
    /// The rows of one record, for the full path: one row, or a few (`csv.group-by`).
    case rows([CSVRecord])
    /// A row the screen vouched for, not yet checked for repeats.
    case valid(key: UInt64, fingerprint: UInt64, line: Int, bytes: UnsafeBufferPointer<UInt8>)
    /// Valid records in a row already checked for repeats: none conflicts, `repeated` repeat an identical one.
    case run(rows: Int, repeated: Int)
    /// A row the screen vouched for, whose business key came before with other values.
    case conflicting(line: Int, bytes: UnsafeBufferPointer<UInt8>)
}

/// Every row through the full path, rows of one record grouped (`csv.group-by`).
struct MappedCSVSource: CSVRecordSource {
    private let reader: CSVReader
    /// The columns that group rows; none when each row is a record.
    private let groupColumns: [Int]
    /// A group longer than this is cut (`RecordStream.maxRowsPerGroup`).
    private let maxRows: Int
    /// The first row of the next group, read with the last one's.
    private var pending: CSVRecord?

    init(_ reader: CSVReader, groupColumns: [Int], maxRows: Int) {
        self.reader = reader
        self.groupColumns = groupColumns
        self.maxRows = maxRows
    }

    var screen: RowScreen? { nil }

    mutating func next() throws -> CSVSourceItem? {
        var group: [CSVRecord] = []
        if let pending {
            group.append(pending)
            self.pending = nil
        }
        while let row = try reader.next() {
            if let first = group.first,
                groupColumns.isEmpty || groupKey(first) != groupKey(row) || group.count >= maxRows
            {
                pending = row
                return .rows(group)
            }
            group.append(row)
        }
        return group.isEmpty ? nil : .rows(group)
    }

    private func groupKey(_ row: CSVRecord) -> [String] {
        groupColumns.map { $0 < row.fields.count ? row.fields[$0].trimmingCharacters(in: .whitespaces) : "" }
    }

    /// Never asked: without a screen no record is checked here (the pipeline checks them).
    func check(_ key: UInt64, fingerprint: UInt64) -> Repeat { .first }

    func reread(_ bytes: UnsafeBufferPointer<UInt8>) -> (maskedKey: String, raw: String) { ("?", "") }
}

/// Flat rows screened on every core (`ScreenedRows`); those the screen cannot vouch for go through the full path.
struct ScreenedCSVSource: CSVRecordSource {
    private let rows: ScreenedRows
    private let reader: CSVReader

    init(_ rows: ScreenedRows, reader: CSVReader) {
        self.rows = rows
        self.reader = reader
    }

    var screen: RowScreen? { rows.screen }

    mutating func next() throws -> CSVSourceItem? {
        switch try rows.next() {
        case nil: return nil
        case .valid(let key, let fingerprint, let line, let bytes)?:
            return .valid(key: key, fingerprint: fingerprint, line: line, bytes: bytes)
        case .run(let count, let repeated)?: return .run(rows: count, repeated: repeated)
        case .conflicting(let line, let bytes)?: return .conflicting(line: line, bytes: bytes)
        case .other(let record)?: return .rows([record])
        }
    }

    func check(_ key: UInt64, fingerprint: UInt64) -> Repeat { rows.seen.check(key, fingerprint: fingerprint) }

    /// A screened row is read again only to word a conflict (its bytes are in the reader's buffers).
    func reread(_ bytes: UnsafeBufferPointer<UInt8>) -> (maskedKey: String, raw: String) {
        let single = reader.segmentReader(bytes)
        return withExtendedLifetime(single) {
            guard let row = try? single.nextRaw() else { return ("?", "") }
            return (rows.screen.maskedKey(row), row.decoded().raw)
        }
    }
}
