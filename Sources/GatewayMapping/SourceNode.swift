import GatewayCore
import GatewayFormats

/// A node of a partner record the mapping engine can navigate: an XML element, a JSON value, a CSV row.
public protocol SourceNode {
    /// The nodes reached by following `steps` (several when the source repeats).
    func nodes(at steps: ArraySlice<PathStep>) -> [Self]
    /// The text of this node when it is a leaf.
    var leafText: String? { get }
    /// The line this node starts on, when known.
    var sourceLine: Int? { get }
    /// The first node reached by following `steps`: the hot path of single-valued fields.
    func firstNode(at steps: ArraySlice<PathStep>) -> Self?
}

extension SourceNode {
    public func firstNode(at steps: ArraySlice<PathStep>) -> Self? { nodes(at: steps).first }
}

extension XMLNodeRef: SourceNode {
    public func nodes(at steps: ArraySlice<PathStep>) -> [XMLNodeRef] {
        guard let step = steps.first else { return [self] }
        var found: [XMLNodeRef] = []
        for child in children where child.isNamed(step.xmlName) && child.passes(step) {
            found.append(contentsOf: child.nodes(at: steps.dropFirst()))
        }
        return found
    }

    public func firstNode(at steps: ArraySlice<PathStep>) -> XMLNodeRef? {
        guard let step = steps.first else { return self }
        for child in children where child.isNamed(step.xmlName) && child.passes(step) {
            if let found = child.firstNode(at: steps.dropFirst()) { return found }
        }
        return nil
    }

    private func passes(_ step: PathStep) -> Bool {
        guard let filter = step.filter, let name = step.xmlFilterName else { return true }
        guard let probe = child(name) else { return false }
        return probe.text == filter.value
    }

    public var leafText: String? { hasElementChildren ? nil : text }

    public var sourceLine: Int? { line }
}

/// A JSON value inside a record, with the line the record starts on.
public struct JSONNode: SourceNode {
    public var value: JSONValue
    public var line: Int

    public init(value: JSONValue, line: Int) {
        self.value = value
        self.line = line
    }

    public func nodes(at steps: ArraySlice<PathStep>) -> [JSONNode] {
        if case .array(let items) = value {
            return items.flatMap { JSONNode(value: $0, line: line).nodes(at: steps) }
        }
        guard let step = steps.first else { return [self] }
        guard let child = value[step.name] else { return [] }
        let candidates: [JSONValue] = if case .array(let items) = child { items } else { [child] }
        return candidates.compactMap { candidate -> JSONNode? in
            if let filter = step.filter, candidate[filter.child]?.stringValue != filter.value { return nil }
            return JSONNode(value: candidate, line: line)
        }.flatMap { $0.nodes(at: steps.dropFirst()) }
    }

    public var leafText: String? {
        switch value {
        case .null, .object, .array: nil
        default: value.stringValue
        }
    }

    public var sourceLine: Int? { line }
}

/// One CSV row seen through its header: a one-step path names a column. A record grouped over several rows
/// (`csv.group-by`) reads its fields from its first row; the path `*` gives each of its rows.
public struct CSVRowNode: SourceNode {
    /// What every node of one record shares: one reference to copy, not three.
    final class Shared: Sendable {
        let columns: [String: Int]
        let rows: [CSVRecord]

        init(columns: [String: Int], rows: [CSVRecord]) {
            self.columns = columns
            self.rows = rows
        }
    }

    let shared: Shared
    /// The row this node reads (index in `shared.rows`).
    let row: Int
    var cell: String?

    public init(record: CSVRecord, columns: [String: Int], others: [CSVRecord] = []) {
        shared = Shared(columns: columns, rows: [record] + others)
        row = 0
    }

    init(shared: Shared, row: Int) {
        self.shared = shared
        self.row = row
    }

    public var record: CSVRecord { shared.rows[row] }

    private func cell(_ step: PathStep) -> CSVRowNode? {
        let fields = shared.rows[row].fields
        guard let index = shared.columns[step.name] ?? shared.columns[step.name.lowercased()], index < fields.count
        else { return nil }
        var node = self
        node.cell = fields[index]
        return node
    }

    public func nodes(at steps: ArraySlice<PathStep>) -> [CSVRowNode] {
        guard let step = steps.first else { return [self] }
        if step.name == "*" {
            return shared.rows.indices.flatMap { CSVRowNode(shared: shared, row: $0).nodes(at: steps.dropFirst()) }
        }
        return cell(step).map { [$0] } ?? []
    }

    /// A column's cell without building an array: this runs for every field of every row.
    public func firstNode(at steps: ArraySlice<PathStep>) -> CSVRowNode? {
        guard let step = steps.first else { return self }
        guard step.name != "*" else { return nodes(at: steps).first }
        return cell(step)
    }

    public var leafText: String? { cell }

    public var sourceLine: Int? { shared.rows[row].line }
}
