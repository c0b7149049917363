import Foundation
import GatewayCore
import GatewayFormats

/// The file formats a flow can arrive in.
public enum FileFormat: String, Sendable, Codable {
    case xml, csv, json
}

/// A step of a source path: an element, column or key name, optionally filtered on a child's value
/// (`Prestations[NATPREST=RSA]`).
public struct PathStep: Sendable, Hashable {
    public var name: String
    public var filter: (child: String, value: String)?
    /// The names compiled once for XML, so navigating a record allocates nothing.
    let xmlName: XMLName
    let xmlFilterName: XMLName?

    public init(name: String, filter: (child: String, value: String)?) {
        self.name = name
        self.filter = filter
        self.xmlName = XMLName(name)
        self.xmlFilterName = filter.map { XMLName($0.child) }
    }

    public static func == (lhs: PathStep, rhs: PathStep) -> Bool {
        lhs.name == rhs.name && lhs.filter?.child == rhs.filter?.child && lhs.filter?.value == rhs.filter?.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(filter?.child)
        hasher.combine(filter?.value)
    }
}

/// A path from a record (or a file section) to a value: `IdentificationRSA/Organisme/MATRICULE`.
public struct SourcePath: Sendable, Hashable, CustomStringConvertible {
    public var steps: [PathStep]
    public var description: String

    /// Parses `a/b[c=d]/e`; a CSV column name is a one-step path and may hold any character but `/`.
    public init(parsing text: String) throws(MappingError) {
        description = text
        steps = []
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw MappingError("chemin « \(text) » : étape vide") }
            if let open = part.firstIndex(of: "["), part.hasSuffix("]") {
                let name = String(part[..<open])
                let inside = part[part.index(after: open)..<part.index(before: part.endIndex)]
                let pieces = inside.split(separator: "=", maxSplits: 1)
                guard pieces.count == 2, !name.isEmpty else {
                    throw MappingError("chemin « \(text) » : filtre attendu sous la forme Element[ENFANT=valeur]")
                }
                steps.append(PathStep(name: name, filter: (String(pieces[0]), String(pieces[1]))))
            } else {
                steps.append(PathStep(name: String(part), filter: nil))
            }
        }
    }
}

/// A problem in a mapping file, found when it is loaded.
public struct MappingError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(_ problem: String) { self.problems = [problem] }

    public init(problems: [String]) { self.problems = problems }

    public var description: String { problems.joined(separator: "\n") }
}

/// Which occurrence a single-valued field takes when the source repeats.
public enum Occurrence: String, Sendable, Codable {
    case first, last
    /// Every occurrence, joined with a space (a list of codes: JSON arrays, repeated elements).
    case all
}

/// A field whose value comes from the file's name, not its content (France Travail sends one file per kind:
/// `inscriptions`, `cessations`, … with the same columns).
public struct FileNameField: Sendable {
    public var spec: FieldSpec
    public var required: Bool
    /// Lower-case fragments of the file name and the canonical value each one gives, the longest tried first;
    /// an empty fragment matches every name (a constant).
    public var patterns: [(fragment: String, value: String)]

    /// The value for a file, if a fragment appears in its name (case-insensitive).
    public func value(forFileNamed name: String) -> String? {
        let lowered = name.lowercased()
        // `"x".contains("")` is false with Foundation loaded: the empty fragment is tested apart.
        return patterns.first { $0.fragment.isEmpty || lowered.contains($0.fragment) }?.value
    }
}

/// How one canonical field is read from the partner's record.
///
/// A class: the engine walks every field of every record, and a reference costs one retain where a struct of
/// sets and arrays would cost one per member.
public final class FieldMapping: Sendable {
    public let spec: FieldSpec
    public let source: SourcePath
    public let required: Bool
    public let transforms: [Transform]
    /// Source value → canonical value; when given, any other value is refused.
    public let codes: [String: String]?
    public let dateFormats: [LocalDate.Pattern]
    public let trueValues: Set<String>
    public let falseValues: Set<String>
    public let occurrence: Occurrence
    /// Values that mean "empty" (`00000000`, `N/A`).
    public let nullValues: Set<String>

    public init(
        spec: FieldSpec, source: SourcePath, required: Bool, transforms: [Transform], codes: [String: String]?,
        dateFormats: [LocalDate.Pattern], trueValues: Set<String>, falseValues: Set<String>, occurrence: Occurrence,
        nullValues: Set<String>
    ) {
        self.spec = spec
        self.source = source
        self.required = required
        self.transforms = transforms
        self.codes = codes
        self.dateFormats = dateFormats
        self.trueValues = trueValues
        self.falseValues = falseValues
        self.occurrence = occurrence
        self.nullValues = nullValues
    }

    /// A copy that shares no object with this one (strings, arrays and sets copied), for another thread.
    public func isolated() -> FieldMapping {
        func fresh(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }
        func fresh(_ texts: Set<String>) -> Set<String> { Set(texts.map(fresh)) }
        var spec = FieldSpec(
            fresh(self.spec.name), self.spec.kind, personal: self.spec.personal, mandatory: self.spec.mandatory,
            allowed: self.spec.allowed.map { $0.map(fresh) }, maxLength: self.spec.maxLength, doc: fresh(self.spec.doc))
        spec.kind = self.spec.kind
        let steps = source.steps.map {
            PathStep(name: fresh($0.name), filter: $0.filter.map { (fresh($0.child), fresh($0.value)) })
        }
        var path = source
        path.steps = steps
        path.description = fresh(source.description)
        return FieldMapping(
            spec: spec, source: path, required: required, transforms: transforms.map { $0 },
            codes: codes.map { Dictionary(uniqueKeysWithValues: $0.map { (fresh($0.key), fresh($0.value)) }) },
            dateFormats: dateFormats.map { $0 }, trueValues: fresh(trueValues), falseValues: fresh(falseValues),
            occurrence: occurrence, nullValues: fresh(nullValues))
    }

    /// The same mapping read from another place, optionally no longer required.
    public func with(source: SourcePath, required: Bool) -> FieldMapping {
        FieldMapping(
            spec: spec, source: source, required: required, transforms: transforms, codes: codes,
            dateFormats: dateFormats, trueValues: trueValues, falseValues: falseValues, occurrence: occurrence,
            nullValues: nullValues)
    }
}

/// A nested collection (`Personne` inside `InfosFoyerRSA`): its path and the mappings of its fields.
public struct CollectionMapping: Sendable {
    public var name: String
    public var source: SourcePath
    public var min: Int
    public var max: Int?
    public var record: RecordMapping
    /// CSV only: the collection's elements are the rows of a group (`path: "*"`), one per row whose collection
    /// columns are not all empty.
    public var isRowGroup: Bool { source.steps.count == 1 && source.steps[0].name == "*" }
}

/// The field and collection mappings of one canonical entity.
public struct RecordMapping: Sendable {
    public var entity: EntitySpec
    public var fields: [FieldMapping]
    public var collections: [CollectionMapping]
}

/// A partner flow as its mapping file declares it: format, encoding, record layout and field mappings.
public struct FlowMapping: Sendable {
    /// The flow id (`caf-beneficiaires`) that `--flow` names.
    public var id: String
    public var partner: String
    public var title: String
    public var version: String?
    public var format: FileFormat
    /// nil: as declared (XML) or detected (CSV: strict UTF-8, else Windows-1252).
    public var encoding: String?
    /// XML: the element repeated once per record.
    public var recordElement: String?
    /// XML: the root element, for the emitters (`Racine` when not given).
    public var xmlRoot: String?
    /// CSV: the delimiter, when pinned.
    public var delimiter: UInt8?
    /// JSON: the key of the array inside a top-level object, when records are wrapped.
    public var jsonArrayKey: String?
    public var record: RecordMapping
    /// File-level fields (header, trailer) mapped to `flux-header`.
    public var file: RecordMapping?
    /// Whether `declaredCount` must equal the records read (its check, `count-mismatch`, says what a
    /// difference does).
    public var reconcileCount: Bool
    /// What each plausibility check does for this flow (`checks:` in the mapping, over the defaults).
    public var checks = CheckPolicy()
    /// Whether the partner's rejection notice lists the anomalies too (`notice: { anomalies: true }`).
    public var noticeListsAnomalies = false
    /// Where the mapping was loaded from.
    public var sourceFile: String?
    /// The layout's name when a flow comes in several layouts (`csv-2019`, `extract`, `xml`).
    public var variant: String?
    /// The flow's other layouts; `resolve(forFile:)` picks the one a file is in.
    public var variants: [FlowMapping] = []
    /// CSV: consecutive rows with the same values in these columns form one record (a row per meeting, the
    /// accompaniment's columns repeated).
    public var groupBy: [String] = []
    /// Fields read from the file name.
    public var fileNameFields: [FileNameField] = []
    /// CSV columns that some files of the flow lack (`motif` is only in cessations and radiations), lower-cased.
    public var optionalColumns: Set<String> = []

    /// Every column a CSV file must carry: the sources of all mapped fields.
    public var requiredColumns: [String] {
        var seen = Set<String>()
        let fields = record.fields + record.collections.filter(\.isRowGroup).flatMap(\.record.fields)
        return (groupBy + fields.map { $0.source.steps.first?.name ?? "" }).filter { name in
            !name.isEmpty && !optionalColumns.contains(name.lowercased()) && seen.insert(name.lowercased()).inserted
        }
    }
}
