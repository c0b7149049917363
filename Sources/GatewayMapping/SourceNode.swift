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
    /// The node each field of `plan` takes (its first or last occurrence), by field position.
    func resolve(_ plan: SourcePlan) -> [Self?]
}

extension SourceNode {
    public func firstNode(at steps: ArraySlice<PathStep>) -> Self? { nodes(at: steps).first }

    /// One look-up per field.
    public func resolve(_ plan: SourcePlan) -> [Self?] {
        plan.fields.map { field in
            field.occurrence == .first
                ? firstNode(at: field.source.steps[...]) : nodes(at: field.source.steps[...]).last
        }
    }
}

/// The fields of a record mapping arranged for one pass over a record: a tree of their path steps, so that
/// fields sharing a path prefix (`IdentificationRSA/Organisme/…`) walk it once.
public final class SourcePlan: Sendable {
    let fields: [FieldMapping]
    let branches: [Branch]
    /// Fields with an empty path: the record node itself.
    let selfFields: [Int]

    /// A path step shared by some fields: those whose path ends here, and the steps further down.
    /// Immutable once built; `name` is owned by the branch.
    final class Branch: @unchecked Sendable {
        let step: PathStep
        /// The step's element name as UTF-8 bytes, compared without copying the step (no reference counting
        /// in the walk's inner loop).
        let name: UnsafeMutableBufferPointer<UInt8>
        let hasFilter: Bool
        /// Fields taking the first occurrence, and those taking the last, whose path ends at this step.
        let firstFields: [Int]
        let lastFields: [Int]
        let children: [Branch]

        init(step: PathStep, firstFields: [Int], lastFields: [Int], children: [Branch]) {
            self.step = step
            name = .allocate(capacity: step.name.utf8.count)
            _ = name.initialize(from: step.name.utf8)
            hasFilter = step.filter != nil
            self.firstFields = firstFields
            self.lastFields = lastFields
            self.children = children
        }

        deinit { name.deallocate() }
    }

    public init(fields: [FieldMapping]) {
        self.fields = fields
        // Build with plain values, in the fields' order (sibling branches keep first-seen order).
        struct Draft {
            var step: PathStep
            var firstFields: [Int] = []
            var lastFields: [Int] = []
            var children: [Draft] = []

            mutating func insert(_ field: Int, steps: ArraySlice<PathStep>, last: Bool) {
                guard let step = steps.first else {
                    if last { lastFields.append(field) } else { firstFields.append(field) }
                    return
                }
                if let index = children.firstIndex(where: { $0.step == step }) {
                    children[index].insert(field, steps: steps.dropFirst(), last: last)
                } else {
                    var child = Draft(step: step)
                    child.insert(field, steps: steps.dropFirst(), last: last)
                    children.append(child)
                }
            }

            func frozen() -> Branch {
                Branch(
                    step: step, firstFields: firstFields, lastFields: lastFields, children: children.map { $0.frozen() }
                )
            }
        }
        var root = Draft(step: PathStep(name: "", filter: nil))
        for (index, field) in fields.enumerated() {
            root.insert(index, steps: field.source.steps[...], last: field.occurrence == .last)
        }
        branches = root.children.map { $0.frozen() }
        selfFields = root.firstFields + root.lastFields
    }
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

    /// One walk of the record for all the fields: in document order, as `firstNode(at:)` and
    /// `nodes(at:)` would find them field by field.
    public func resolve(_ plan: SourcePlan) -> [XMLNodeRef?] {
        var found = [XMLNodeRef?](repeating: nil, count: plan.fields.count)
        for field in plan.selfFields { found[field] = self }
        collect(plan.branches, into: &found)
        return found
    }

    private func collect(_ branches: [SourcePlan.Branch], into found: inout [XMLNodeRef?]) {
        // The plan outlives the walk: its branches are borrowed without reference counting.
        branches.withUnsafeBufferPointer { branches in
            for child in children {
                for position in branches.indices {
                    unowned(unsafe) let branch = branches[position]
                    guard child.isNamed(bytes: UnsafeBufferPointer(branch.name)) else { continue }
                    if branch.hasFilter && !child.passes(branch.step) { continue }
                    for field in branch.firstFields where found[field] == nil { found[field] = child }
                    for field in branch.lastFields { found[field] = child }
                    if !branch.children.isEmpty { child.collect(branch.children, into: &found) }
                }
            }
        }
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
