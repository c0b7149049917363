import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping

/// A check of one flat CSV row on its bytes, compiled from the flow's mapping, for `validate` on large files.
///
/// It vouches for a row only when the full path (mapping engine, then builder) would certainly accept it, and it
/// decides that with the full path's own routines: a transform must leave the cell as it is or only cut it
/// (`trim`, `strip-leading-zeros`), values are converted by `ValueConverter.convert` (identifiers, dates, code lists,
/// limits), and the entity's rules run in `PartnerRecord.assemble`. It gives the record with its free text left out
/// and a fingerprint of all the row's values. A row it cannot vouch for (quotes, a transform that would change a
/// value, a value that fails, a broken rule, a column too many) goes through the full path, which says why.
public struct RowScreen: Sendable {
    struct Slot: Sendable {
        let field: FieldMapping
        /// nil when the file lacks the column (an optional column): the field is always absent.
        let column: Int?
        /// Index among the entity's typed fields, when its rules read this field.
        let typed: Int?
        /// Index among the entity's text fields, when its records keep this text.
        let text: Int?
        /// Free text with nothing to convert or check but its length.
        let plainText: Bool
        /// How its values are converted from their bytes (`.none` when they cannot be). It holds no reference:
        /// calling it retains nothing.
        let converter: ValueConverter.ByteConverter
        let required: Bool
        let maxLength: Int?
        let hasNullValues: Bool
        /// The transforms whose effect the screen checks. None when they are only `trim` and `upper` and the
        /// converter does the same (`ValueConverter.ByteConverter.normalisesLikeTrimAndUpper`): the converter then
        /// reads the cell as it is, and a cell it cannot take as it is goes through the full path.
        let transforms: InlineTransforms
        /// An earlier slot whose cell gives the same value from the same bytes (same transforms, converter alike):
        /// a cell equal to its cell takes its value (France Travail's `nir2`, which repeats `nir`).
        var twin: (column: Int, typed: Int)?

        init(field: FieldMapping, column: Int?, typed: Int?, text: Int?, converter: ValueConverter.ByteConverter) {
            self.field = field
            self.column = column
            self.typed = typed
            self.text = text
            plainText = field.spec.kind == .text && field.codes == nil && field.spec.allowed == nil
            self.converter = converter
            required = field.required
            maxLength = field.spec.maxLength
            hasNullValues = !field.nullValues.isEmpty
            let normalised =
                converter.normalisesLikeTrimAndUpper && !hasNullValues
                && field.transforms.allSatisfy { $0 == .trim || $0 == .upper }
            transforms = InlineTransforms(normalised ? [] : field.transforms)
        }
    }

    var slots: [Slot]
    /// The allowed values of the slots' converters.
    var allowedValues: [ValueConverter.AllowedValues.Entry]
    /// Values from the file name, which every record gets.
    var constants: [(value: CanonicalValue, typed: Int?)]
    let entity: String
    let typedNames: [String]
    let textNames: [String]
    let columnCount: Int

    /// The screen of `flow` for a file with `header`, or nil when its mapping is not flat (grouped rows,
    /// collections, paths) or its entity's records cannot be assembled from typed values.
    public init?(flow: FlowMapping, header: [String], columns: [String: Int], fileNameValues: [(FieldSpec, String)]) {
        let entity = flow.record.entity.name
        guard flow.format == .csv, flow.groupBy.isEmpty, flow.record.collections.isEmpty,
            let typedNames = PartnerRecord.typedFields(of: entity)
        else { return nil }
        let textNames = PartnerRecord.textFields(of: entity)
        var typedIndex: [String: Int] = [:]
        for (index, name) in typedNames.enumerated() where typedIndex[name] == nil { typedIndex[name] = index }
        var textIndex: [String: Int] = [:]
        for (index, name) in textNames.enumerated() where textIndex[name] == nil { textIndex[name] = index }
        var slots: [Slot] = []
        var names: [String] = []
        var allowedValues = ValueConverter.AllowedValues()
        for field in flow.record.fields {
            guard field.occurrence != .all, field.source.steps.count == 1, let step = field.source.steps.first,
                step.name != "*", step.filter == nil, !names.contains(field.spec.name)
            else { return nil }
            let column = columns[step.name] ?? columns[step.name.lowercased()]
            // A required column the file lacks: every row fails, the full path says so.
            if column == nil && field.required { return nil }
            let typed = typedIndex[field.spec.name]
            let text = textIndex[field.spec.name]
            // A field both read by the rules and kept as text, or a kept text that is not plain: the full path.
            guard typed == nil || text == nil,
                text == nil || (field.spec.kind == .text && field.codes == nil && field.spec.allowed == nil)
            else { return nil }
            guard field.transforms.count <= InlineTransforms.capacity else { return nil }
            let converter = ValueConverter.ByteConverter(field, allowedValues: &allowedValues) ?? .none
            var slot = Slot(field: field, column: column, typed: typed, text: text, converter: converter)
            if converter.converts, typed != nil,
                let twin = slots.first(where: {
                    $0.converter.convertsAlike(converter) && $0.transforms == slot.transforms && $0.typed != nil
                        && $0.column != nil
                }), let twinColumn = twin.column, let twinTyped = twin.typed
            {
                slot.twin = (twinColumn, twinTyped)
            }
            slots.append(slot)
            names.append(field.spec.name)
        }
        for (name, others) in PartnerRecord.textFallbacks(of: entity)
        where names.contains(name) && others.contains(where: names.contains) {
            return nil
        }
        var constants: [(value: CanonicalValue, typed: Int?)] = []
        for (spec, value) in fileNameValues {
            // A file-name value is a code the rules read (France Travail's kind), never kept text.
            guard !names.contains(spec.name), textIndex[spec.name] == nil else { return nil }
            constants.append((.text(value), typedIndex[spec.name]))
            names.append(spec.name)
        }
        self.slots = slots
        self.allowedValues = allowedValues.entries
        self.constants = constants
        self.entity = entity
        self.typedNames = typedNames
        self.textNames = textNames
        columnCount = header.count
    }

    /// What one thread needs to screen rows; one per thread.
    public struct Scratch {
        /// The typed values of the row being read (the only entity whose records assemble from typed values is the
        /// enrolment, see `PartnerRecord.typedFields(of:)`).
        var values: Enrolment.Values
    }

    /// A thread's scratch, with the file-name values already in place (rows only write their cells' values).
    public func makeScratch() -> Scratch {
        var values = Enrolment.Values()
        for constant in constants {
            if let typed = constant.typed { values.set(typed, constant.value) }
        }
        return Scratch(values: values)
    }

    /// The business key's digest (`KeyDigest`) and the fingerprint of a row the full path would accept, or nil.
    public func screen(_ row: CSVRawRecord, _ scratch: inout Scratch) -> (key: UInt64, fingerprint: UInt64)? {
        guard let texts = read(row, &scratch.values), let (key, facts) = PartnerRecord.digests(scratch.values) else {
            return nil
        }
        return (key, Self.fingerprint(facts: facts, texts: texts))
    }

    /// The masked business key of a row `screen` vouched for, for a report.
    public func maskedKey(_ row: CSVRawRecord) -> String {
        var scratch = makeScratch()
        guard read(row, &scratch.values) != nil, let record = PartnerRecord.assemble(scratch.values) else {
            return "?"
        }
        return record.maskedKey
    }

    /// A copy that shares no object with this one, for another thread: threads that retain the same objects
    /// contend for their reference counts.
    public func isolated() -> RowScreen {
        var copy = self
        copy.slots = slots.map { slot in
            var copy = Slot(
                field: slot.field.isolated(), column: slot.column, typed: slot.typed, text: slot.text,
                converter: slot.converter)
            copy.twin = slot.twin
            return copy
        }
        copy.allowedValues = allowedValues.map { $0 }
        copy.constants = constants.map { ($0.value, $0.typed) }
        return copy
    }

    /// Reads a row's typed values into `scratch` and hashes its kept texts, when every cell is one the full path
    /// would take as it is; nil otherwise.
    func read(_ row: CSVRawRecord, _ values: inout Enrolment.Values) -> RowFingerprint? {
        guard row.cellCount == columnCount else { return nil }
        // The kept texts, hashed as they are read; the record's hash joins them after.
        var texts = RowFingerprint()
        let ascii = row.encoding != .utf8
        let complete = slots.withUnsafeBufferPointer { slots -> Bool in
            allowedValues.withUnsafeBufferPointer { allowedValues -> Bool in
                for position in 0..<slots.count {
                    guard let column = slots[position].column else {
                        if let typed = slots[position].typed { values.set(typed, nil) }
                        continue
                    }
                    if row.isQuoted(column) { return false }
                    let cell = row.cell(column)
                    let bytes: UnsafeBufferPointer<UInt8>
                    if slots[position].transforms.isEmpty {
                        bytes = cell
                    } else {
                        guard let range = Self.transformed(cell, slots[position].transforms, row.encoding) else {
                            return false
                        }
                        bytes = UnsafeBufferPointer(rebasing: cell[range])
                    }
                    if bytes.isEmpty
                        || (slots[position].hasNullValues
                            && slots[position].field.nullValues.contains(row.text(bytes)))
                    {
                        if slots[position].required { return false }
                        // No value: the last row's goes.
                        if let typed = slots[position].typed { values.set(typed, nil) }
                        continue
                    }
                    if slots[position].plainText && slots[position].typed == nil {
                        // In a single-byte encoding a byte is a character; in UTF-8 a longer value goes the full path.
                        if let maxLength = slots[position].maxLength, bytes.count > maxLength { return false }
                        if let text = slots[position].text {
                            texts.field(text)
                            guard texts.text(bytes, row.encoding) else { return false }
                        }
                        continue
                    }
                    let value: CanonicalValue
                    if let twin = slots[position].twin, let same = values.value(twin.typed),
                        Self.equal(row.cell(twin.column), cell)
                    {
                        // The same cell as an earlier one, converted alike, already converted.
                        value = same
                    } else if slots[position].converter.converts
                        // Bytes of a single-byte encoding are UTF-8 only when ASCII.
                        && (!ascii || ByteWord.areASCII(bytes))
                    {
                        guard
                            let converted = slots[position].converter.convert(bytes, allowedValues: allowedValues)
                        else { return false }
                        value = converted
                    } else {
                        guard
                            case .success(let converted) = ValueConverter.convert(
                                row.text(bytes), field: slots[position].field)
                        else { return false }
                        value = converted
                    }
                    if let typed = slots[position].typed { values.set(typed, value) }
                }
                return true
            }
        }
        return complete ? texts : nil
    }

    /// The fingerprint of a record the full path accepted (its field bag, file-name values included): equal to the
    /// screen's when the records are equal.
    public func fingerprint(_ bag: FieldBag) -> UInt64 {
        var texts = RowFingerprint()
        for index in textNames.indices {
            guard let text = bag.text(textNames[index]) else { continue }
            texts.field(index)
            texts.value(.text(text))
        }
        guard let (_, facts) = PartnerRecord.digests(entity: entity, typedNames.map { bag[$0] }) else { return 0 }
        return Self.fingerprint(facts: facts, texts: texts)
    }

    /// The record's values but its texts (`PartnerRecord.digests`), and its texts.
    private static func fingerprint(facts: UInt64, texts: RowFingerprint) -> UInt64 {
        var texts = texts
        texts.field(-1)
        texts.value(.integer(Int(bitPattern: UInt(facts))))
        return texts.finish()
    }

    @inline(__always)
    private static func equal(_ one: UnsafeBufferPointer<UInt8>, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard one.count == other.count else { return false }
        guard let first = one.baseAddress, let second = other.baseAddress else { return true }
        return memcmp(first, second, one.count) == 0
    }

    /// The part of `cell` the transforms keep, when they only cut it; nil when one of them would change its text
    /// (the full path then applies them). Each is the mapping's own transform on bytes (`Transform.kept`).
    @inline(__always)
    static func transformed(
        _ cell: UnsafeBufferPointer<UInt8>, _ transforms: InlineTransforms, _ encoding: TextEncoding
    )
        -> Range<Int>?
    {
        var range = 0..<cell.count
        let singleByte = encoding != .utf8
        var rest = transforms
        while let transform = rest.next() {
            guard let kept = transform.kept(cell, range, singleByte: singleByte) else { return nil }
            range = kept
        }
        return range
    }
}

/// A 64-bit fingerprint of a record's values, field by field: the same for the same canonical values whether they
/// come from a row's bytes or from a field bag. Not for storage: it tells duplicates from conflicts in one run.
struct RowFingerprint {
    /// The words so far, mixed as the record's facts are.
    private var state = FactsDigest()
    private var word: UInt64 = 0
    private var filled = 0

    @inline(__always)
    private mutating func mix(_ value: UInt64) { state.mix(value) }

    @inline(__always)
    private mutating func byte(_ value: UInt8) {
        word |= UInt64(value) << UInt64(filled << 3)
        filled += 1
        if filled == 8 {
            mix(word)
            word = 0
            filled = 0
        }
    }

    private mutating func flush() {
        mix(word ^ (UInt64(filled) << 59))
        word = 0
        filled = 0
    }

    /// Starts the value of field `position`.
    mutating func field(_ position: Int) {
        flush()
        mix(0x5EED_0000_0000 ^ UInt64(bitPattern: Int64(position)))
    }

    /// Text given as bytes in a record's encoding, hashed as its UTF-8; false when the bytes are Windows-1252
    /// beyond ASCII (the caller then leaves the row to the full path).
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>, _ encoding: TextEncoding) -> Bool {
        var index = 0
        let count = bytes.count
        if filled == 0, let base = bytes.baseAddress {
            while index + 8 <= count {
                let chunk = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if encoding != .utf8 && chunk & ByteWord.highs != 0 { break }
                mix(chunk)
                index += 8
            }
        }
        // The last bytes (fewer than eight) in one word when they are ASCII, as the byte loop would gather them.
        if filled == 0, index < count, count - index < 8, let base = bytes.baseAddress {
            let tail = ByteWord.partial(base, from: index, to: count)
            if encoding == .utf8 || tail & ByteWord.highs == 0 {
                word = tail
                filled = count - index
                return true
            }
        }
        while index < count {
            let value = bytes[index]
            if value < 0x80 || encoding == .utf8 {
                byte(value)
            } else if encoding == .latin1 {
                byte(0xC0 | (value >> 6))
                byte(0x80 | (value & 0x3F))
            } else {
                return false
            }
            index += 1
        }
        return true
    }

    mutating func value(_ value: CanonicalValue) {
        switch value {
        case .text(let text), .decimal(let text):
            var text = text
            text.withUTF8 { _ = self.text($0, .utf8) }
        case .date(let date): mix(UInt64(date.year * 10_000 + date.month * 100 + date.day))
        case .integer(let number): mix(UInt64(bitPattern: Int64(number)))
        case .boolean(let flag): mix(flag ? 1 : 2)
        default:
            var text = value.text
            text.withUTF8 { _ = self.text($0, .utf8) }
        }
    }

    mutating func finish() -> UInt64 {
        flush()
        return state.value
    }
}

/// A field's transforms held in one word, in order: a list in an array would be retained and released at every
/// cell of every row.
struct InlineTransforms: Sendable, Equatable {
    static let capacity = 8
    private var codes: UInt64 = 0

    /// The first `capacity` transforms of `list` (the screen takes no field with more).
    init(_ list: [Transform]) {
        for (index, transform) in list.prefix(Self.capacity).enumerated() {
            let code: UInt64
            switch transform {
            case .trim: code = 1
            case .upper: code = 2
            case .lower: code = 3
            case .collapseSpaces: code = 4
            case .digitsOnly: code = 5
            case .stripLeadingZeros: code = 6
            }
            codes |= code << UInt64(8 * index)
        }
    }

    var isEmpty: Bool {
        @inline(__always) get { codes == 0 }
    }

    /// The next transform, taken off the list.
    @inline(__always)
    mutating func next() -> Transform? {
        let code = codes & 0xFF
        codes >>= 8
        switch code {
        case 1: return .trim
        case 2: return .upper
        case 3: return .lower
        case 4: return .collapseSpaces
        case 5: return .digitsOnly
        case 6: return .stripLeadingZeros
        default: return nil
        }
    }
}
