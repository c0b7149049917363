import Foundation
import GatewayCore
import GatewayFormats
import Yams

/// Loads mapping files (`Mappings/*.yaml`) and checks them against the canonical catalogue.
public enum MappingLoader {
    /// Loads every `*.yaml` flow mapping in `directory`, keyed by flow id; with `only`, the files of that flow
    /// alone (told by their top-level `flow`), for a command that works on one flow. Each file is parsed once; one
    /// that is not YAML at all is a problem, except when one flow is asked for (it may be another flow's).
    public static func loadAll(directory: String, only: String? = nil) throws -> [String: FlowMapping] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var flows: [String: FlowMapping] = [:]
        var problems: [String] = []
        for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let node: Node?
            do {
                node = try YAMLReader.parse(text, resolver: resolver)
            } catch {
                if only == nil { problems += error.problems.map { "\(name) : \($0)" } }
                continue
            }
            // Files that are not flow mappings (programmes, structures) have no top-level `flow`.
            guard let node, let root = node.any as? [String: Any], let declared = root["flow"],
                only == nil || "\(declared)" == only
            else { continue }
            switch Result(catching: { () throws(MappingError) -> FlowMapping in
                try load(root: root, node: node, sourceFile: path)
            }) {
            case .success(let flow):
                if var first = flows[flow.id] {
                    guard first.variant != nil, let variant = flow.variant,
                        first.variant != variant, !first.variants.contains(where: { $0.variant == variant })
                    else {
                        problems.append(
                            "\(name) : le flux « \(flow.id) » est déjà déclaré (plusieurs présentations d'un même flux se distinguent par « variant »)"
                        )
                        continue
                    }
                    guard first.record.entity.name == flow.record.entity.name, first.partner == flow.partner else {
                        problems.append(
                            "\(name) : la variante « \(variant) » du flux « \(flow.id) » doit avoir la même entité et le même partenaire"
                        )
                        continue
                    }
                    first.variants.append(flow)
                    flows[flow.id] = first
                } else {
                    flows[flow.id] = flow
                }
            case .failure(let error):
                for problem in error.problems { problems.append("\(name) : \(problem)") }
            }
        }
        guard problems.isEmpty else { throw MappingError(problems: problems) }
        return flows
    }

    /// How plain YAML scalars are typed: booleans, integers, nulls and merge keys. Not floats nor timestamps: a
    /// value such as `1.10` or `2026-09-30` in a mapping is text (a null value read as 1.1, or as a date printed with
    /// its time, would never match a cell), and matching their patterns was a good part of reading the mappings at
    /// every command's start.
    static let resolver = Resolver.basic.appending(.bool).appending(.int).appending(.null).appending(.merge)

    /// Parses and checks one mapping; every problem is listed, not just the first.
    public static func load(yaml: String, sourceFile: String? = nil) throws(MappingError) -> FlowMapping {
        let (root, node) = try YAMLReader.document(yaml, resolver: resolver)
        return try load(root: root, node: node, sourceFile: sourceFile)
    }

    /// Checks one parsed mapping: its values, and its node for the key order, which a dictionary loses (emitters
    /// write columns and elements in the file's order).
    static func load(root: [String: Any], node: Node, sourceFile: String?) throws(MappingError) -> FlowMapping {
        let order = keyOrder(node)
        var reader = YAMLReader()
        func string(_ key: String, in map: [String: Any], required: Bool = false) -> String? {
            reader.text(key, in: map, at: "", required: required)
        }
        let id = string("flow", in: root, required: true) ?? ""
        let partner = string("partner", in: root, required: true) ?? ""
        let title = string("title", in: root) ?? id
        let formatText = string("format", in: root, required: true) ?? "xml"
        let format = FileFormat(rawValue: formatText)
        if format == nil { reader.problems.append("format « \(formatText) » inconnu (xml, csv, json)") }
        let entityName = string("entity", in: root, required: true) ?? ""
        let entity = Catalogue.entity(named: entityName)
        if entity == nil && !entityName.isEmpty {
            reader.problems.append("entité canonique « \(entityName) » inconnue")
        }
        var encoding = string("encoding", in: root)
        if encoding == "declared" || encoding == "auto" { encoding = nil }
        if let label = encoding, format == .csv, TextEncoding(label: label) == nil {
            let known = TextEncoding.allCases.map(\.rawValue).joined(separator: ", ")
            reader.problems.append("encodage « \(label) » inconnu (\(known), latin-1, cp1252)")
        }
        let defaults = root["defaults"] as? [String: Any] ?? [:]
        var defaultFormats: [LocalDate.Pattern] = format == .csv ? [.french, .iso] : [.iso]
        if let given = defaults["date-format"] {
            defaultFormats = patterns(given, problems: &reader.problems, context: "defaults")
        }
        var delimiter: UInt8?
        var groupBy: [String] = []
        var optionalColumns: Set<String> = []
        if let csv = root["csv"] as? [String: Any] {
            groupBy = (csv["group-by"] as? [String]) ?? (csv["group-by"] as? String).map { [$0] } ?? []
            optionalColumns = Set(((csv["optional-columns"] as? [String]) ?? []).map { $0.lowercased() })
            if format != .csv { reader.problems.append("la section csv ne vaut que pour format: csv") }
        }
        if let csv = root["csv"] as? [String: Any], let text = csv["delimiter"] as? String {
            let normalised = text == "\\t" || text == "tab" ? "\t" : text
            if normalised.utf8.count == 1 {
                delimiter = normalised.utf8.first
            } else {
                reader.problems.append("csv.delimiter doit être un seul caractère")
            }
        }
        let recordElement = (root["xml"] as? [String: Any])?["record"] as? String
        if format == .xml && recordElement == nil {
            reader.problems.append("xml.record (élément répété par enregistrement) est obligatoire")
        }
        let jsonArrayKey = (root["json"] as? [String: Any])?["array"] as? String

        var record = RecordMapping(entity: entity ?? Catalogue.household, fields: [], collections: [])
        var fileNameFields: [FileNameField] = []
        if let entity {
            record = compileRecord(
                root, entity: entity, context: "", defaults: defaultFormats, format: format ?? .xml,
                fileNameFields: &fileNameFields, order: order, problems: &reader.problems)
        }
        if record.collections.contains(where: \.isRowGroup) && groupBy.isEmpty {
            reader.problems.append("une collection « path: \"*\" » (une ligne par élément) demande csv.group-by")
        }
        var file: RecordMapping?
        if let fileSection = root["file"] as? [String: Any] {
            var ignored: [FileNameField] = []
            file = compileRecord(
                fileSection, entity: Catalogue.fluxHeader, context: "file.", defaults: defaultFormats,
                format: format ?? .xml, fileNameFields: &ignored, order: order, problems: &reader.problems)
        }
        let reconcile = (root["reconcile"] as? [String: Any])?["count"] as? Bool ?? false
        if reconcile && file?.fields.contains(where: { $0.spec.name == "declaredCount" }) != true {
            reader.problems.append("reconcile.count demande un champ file.declaredCount")
        }
        var checks: [PlausibilityCheck: CheckSeverity] = [:]
        if let given = root["checks"] {
            if let map = given as? [String: Any] {
                for (name, value) in map {
                    guard let check = PlausibilityCheck(rawValue: name) else {
                        let known = PlausibilityCheck.allCases.map(\.rawValue).joined(separator: ", ")
                        reader.problems.append("checks : contrôle « \(name) » inconnu (\(known))")
                        continue
                    }
                    guard let text = value as? String, let severity = CheckSeverity(rawValue: text) else {
                        reader.problems.append("checks.\(name) : « \(value) » n'est pas warn, reject ou off")
                        continue
                    }
                    checks[check] = severity
                }
            } else {
                reader.problems.append("checks doit associer chaque contrôle à warn, reject ou off")
            }
        }
        var noticeListsAnomalies = false
        if let notice = root["notice"] {
            if let flag = (notice as? [String: Any])?["anomalies"] as? Bool {
                noticeListsAnomalies = flag
            } else {
                reader.problems.append("notice.anomalies doit valoir true ou false")
            }
        }
        guard reader.problems.isEmpty, let format else { throw MappingError(problems: reader.problems) }
        var flow = FlowMapping(
            id: id, partner: partner, title: title, version: string("version", in: root), format: format,
            encoding: encoding, recordElement: recordElement, delimiter: delimiter, jsonArrayKey: jsonArrayKey,
            record: record, file: file, reconcileCount: reconcile, sourceFile: sourceFile)
        flow.variant = string("variant", in: root)
        flow.xmlRoot = (root["xml"] as? [String: Any])?["root"] as? String
        flow.groupBy = groupBy
        flow.optionalColumns = optionalColumns
        flow.fileNameFields = fileNameFields
        flow.checks = CheckPolicy(checks)
        flow.noticeListsAnomalies = noticeListsAnomalies
        return flow
    }

    /// The keys of every mapping of a YAML document in their written order, by dotted path (`fields`,
    /// `collections.meetings.fields`).
    static func keyOrder(_ node: Node, path: String = "") -> [String: [String]] {
        guard let mapping = node.mapping else { return [:] }
        var result: [String: [String]] = [path: mapping.compactMap { $0.key.string }]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            result.merge(keyOrder(value, path: path.isEmpty ? name : path + "." + name)) { first, _ in first }
        }
        return result
    }

    private static func patterns(_ value: Any, problems: inout [String], context: String) -> [LocalDate.Pattern] {
        let texts = (value as? [String]) ?? [(value as? String) ?? ""]
        return texts.compactMap { text in
            guard let pattern = LocalDate.Pattern(rawValue: text) else {
                let known = LocalDate.Pattern.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append("\(context) : format de date « \(text) » inconnu (\(known))")
                return nil
            }
            return pattern
        }
    }

    private static func compileRecord(
        _ map: [String: Any], entity: EntitySpec, context: String, defaults: [LocalDate.Pattern],
        format: FileFormat, fileNameFields: inout [FileNameField], order: [String: [String]],
        problems: inout [String]
    ) -> RecordMapping {
        var fields: [FieldMapping] = []
        let declared = map["fields"] as? [String: Any] ?? [:]
        if map["fields"] != nil && map["fields"] as? [String: Any] == nil {
            problems.append("\(context)fields doit être un objet")
        }
        let ordered = order[context + "fields"] ?? []
        let names = declared.keys.sorted {
            (ordered.firstIndex(of: $0) ?? Int.max, $0) < (ordered.firstIndex(of: $1) ?? Int.max, $1)
        }
        for name in names {
            let place = "\(context)fields.\(name)"
            guard let spec = entity.field(name) else {
                problems.append("\(place) : champ inconnu de l'entité « \(entity.name) »")
                continue
            }
            var body = declared[name] as? [String: Any] ?? [:]
            if let shorthand = declared[name] as? String { body = ["path": shorthand] }
            if let fromName = body["file-name"] {
                guard context.isEmpty, let table = fromName as? [AnyHashable: Any], !table.isEmpty else {
                    problems.append(
                        "\(place) : « file-name » attend une table fragment du nom → valeur, au niveau de l'enregistrement"
                    )
                    continue
                }
                let patterns = table.map { ("\($0.key)".lowercased(), "\($0.value)") }.sorted {
                    ($0.0.count, $1.0) > ($1.0.count, $0.0)
                }
                if let allowed = spec.allowed {
                    for (_, value) in patterns where !allowed.contains(value) {
                        problems.append("\(place) : valeur « \(value) » hors de \(allowed.joined(separator: ", "))")
                    }
                }
                fileNameFields.append(
                    FileNameField(spec: spec, required: body["required"] as? Bool ?? false, patterns: patterns))
                continue
            }
            guard let pathText = body["path"] as? String else {
                problems.append("\(place) : « path » est obligatoire")
                continue
            }
            let source: SourcePath
            do { source = try SourcePath(parsing: pathText) } catch {
                problems += error.problems.map { "\(place) : \($0)" }
                continue
            }
            if format == .csv && source.steps.count != 1 {
                problems.append("\(place) : en CSV, le chemin est un nom de colonne")
            }
            var transforms: [Transform] = [.trim]
            if let list = body["transforms"] as? [String] {
                transforms = list.compactMap { text in
                    guard let transform = Transform(rawValue: text) else {
                        let known = Transform.allCases.map(\.rawValue).joined(separator: ", ")
                        problems.append("\(place) : transformation « \(text) » inconnue (\(known))")
                        return nil
                    }
                    return transform
                }
            }
            var codes: [String: String]?
            if let given = body["codes"] as? [AnyHashable: Any] {
                var table: [String: String] = [:]
                for (key, value) in given { table["\(key)"] = "\(value)" }
                codes = table
                if let allowed = spec.allowed {
                    for target in Set(table.values) where !allowed.contains(target) {
                        problems.append(
                            "\(place) : code canonique « \(target) » hors de \(allowed.joined(separator: ", "))")
                    }
                }
            }
            let required = body["required"] as? Bool ?? false
            if spec.mandatory && !required {
                problems.append("\(place) : ce champ est indispensable à l'entité, il doit être « required: true »")
            }
            let formats = body["format"].map { patterns($0, problems: &problems, context: place) } ?? defaults
            let trueValues = Set(
                (body["true"] as? [Any])?.map { "\($0)".uppercased() } ?? ["1", "TRUE", "O", "OUI", "Y", "YES"])
            let falseValues = Set(
                (body["false"] as? [Any])?.map { "\($0)".uppercased() } ?? ["0", "FALSE", "N", "NON", "NO"])
            var occurrence = Occurrence.first
            if let pick = body["pick"] {
                if let parsed = (pick as? String).flatMap(Occurrence.init(rawValue:)) {
                    occurrence = parsed
                } else {
                    problems.append("\(place) : pick « \(pick) » inconnu (first, last, all)")
                }
            }
            let nullValues = Set((body["null-values"] as? [Any])?.map { "\($0)" } ?? [])
            for key in body.keys
            where ![
                "path", "required", "transforms", "codes", "format", "true", "false", "pick", "null-values", "doc",
                "max-length",
            ].contains(key) {
                problems.append("\(place) : clé « \(key) » inconnue")
            }
            // Every text value is bounded: the catalogue's length, the mapping's own, or the default.
            var bounded = spec
            if let given = body["max-length"] {
                if let length = given as? Int, length > 0 {
                    bounded.maxLength = length
                } else {
                    problems.append("\(place) : max-length doit être un entier positif")
                }
            } else if spec.kind == .text && spec.maxLength == nil {
                bounded.maxLength = FieldSpec.defaultTextMaxLength
            }
            fields.append(
                FieldMapping(
                    spec: bounded, source: source, required: required, transforms: transforms, codes: codes,
                    dateFormats: formats, trueValues: trueValues, falseValues: falseValues, occurrence: occurrence,
                    nullValues: nullValues))
        }
        let mappedNames = Set(fields.map(\.spec.name) + fileNameFields.map(\.spec.name))
        for spec in entity.fields where spec.mandatory && !mappedNames.contains(spec.name) && declared[spec.name] == nil
        {
            problems.append("\(context)fields : le champ indispensable « \(spec.name) » n'est pas mappé")
        }
        var collections: [CollectionMapping] = []
        let declaredCollections = map["collections"] as? [String: Any] ?? [:]
        for name in declaredCollections.keys.sorted() {
            let place = "\(context)collections.\(name)"
            guard let childEntity = entity.collections[name] else {
                problems.append("\(place) : collection inconnue de l'entité « \(entity.name) »")
                continue
            }
            guard let body = declaredCollections[name] as? [String: Any], let pathText = body["path"] as? String
            else {
                problems.append("\(place) : « path » est obligatoire")
                continue
            }
            if format == .csv && pathText != "*" {
                problems.append(
                    "\(place) : en CSV, une collection se lit ligne à ligne (path: \"*\" avec csv.group-by)")
            }
            for key in body.keys where !["path", "min", "max", "fields", "collections", "doc"].contains(key) {
                problems.append("\(place) : clé « \(key) » inconnue (path, min, max, fields, collections)")
            }
            let source: SourcePath
            do { source = try SourcePath(parsing: pathText) } catch {
                problems += error.problems.map { "\(place) : \($0)" }
                continue
            }
            let child = compileRecord(
                body, entity: childEntity, context: place + ".", defaults: defaults, format: format,
                fileNameFields: &fileNameFields, order: order, problems: &problems)
            collections.append(
                CollectionMapping(
                    name: name, source: source, min: body["min"] as? Int ?? 0, max: body["max"] as? Int,
                    record: child))
        }
        return RecordMapping(entity: entity, fields: fields, collections: collections)
    }
}
