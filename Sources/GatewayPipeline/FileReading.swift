import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayScreen

/// One record as the pipeline sees it after mapping and validation.
public enum RecordOutcome {
    /// A valid household (held indirectly, like the partner record: the outcome of a screened row stays small);
    /// `source` gives its record as received, in UTF-8, to keep beside it.
    indirect case household(Household, index: Int, line: Int?, source: () -> [UInt8])
    /// A valid record of another partner flow.
    indirect case partner(PartnerRecord, index: Int, line: Int?, raw: () -> String)
    /// Valid records in a row when `RecordStream.screening` is on, already checked against the earlier records of
    /// the file: `rows` records, `repeated` of which repeat an identical earlier one (one with the same business
    /// key and other values comes as `.rejected`).
    case screened(rows: Int, repeated: Int)
    /// A record refused with its issues; `key` is the masked business key when it could be read.
    case rejected(index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue])
    /// What the gateway's plausibility checks found in the record just handed over (index `index`), set to warn
    /// by the flow: the record was applied or refused on its own merits, these are stored and reported beside it.
    case anomalies(index: Int, line: Int?, key: String?, issues: [ValidationIssue])
}

extension RecordOutcome {
    /// The record's masked business key, as the partner may be shown it.
    var maskedKey: String? {
        switch self {
        case .household(let household, _, _, _): household.key.description
        case .partner(let record, _, _, _): record.maskedKey
        case .rejected(_, _, let key, _, _), .anomalies(_, _, let key, _): key
        case .screened: nil
        }
    }
}

/// The checks that span the records of one file: the same person in two households.
final class FileCrossCheck {
    /// The first household of the file each NIR was met in, and its line.
    private var households: [NIR: (key: HouseholdKey, line: Int?)] = [:]

    /// The people of `household` already met in another household of the file.
    func findings(_ household: Household, line: Int?, path: String) -> [ValidationIssue] {
        var findings: [ValidationIssue] = []
        for (position, person) in household.people.enumerated() {
            guard let nir = person.nir else { continue }
            guard let first = households[nir] else {
                households[nir] = (household.key, line)
                continue
            }
            guard first.key != household.key else { continue }
            let role = person.role == .applicant ? "comme demandeur " : ""
            findings.append(
                ValidationIssue(
                    type: .uniqueError, field: "people.nir", line: line, path: "\(path)/Personne[\(position + 1)]",
                    value: nir.masked,
                    message:
                        "La personne \(nir.masked) figure \(role)dans ce foyer et dans le foyer \(first.key) (ligne \(first.line.map(String.init) ?? "?")) du même fichier.",
                    check: .personInSeveralHouseholds))
        }
        return findings
    }
}

/// Reads a partner file through its flow mapping, one record at a time: reader → mapping → canonical record.
public struct RecordStream: Sendable {
    public let flow: FlowMapping
    let engine: MappingEngine
    public var schemaPath: String?
    /// Called with the records read, the bytes consumed and the file size, every few hundred records.
    public var progress: (@Sendable (_ records: Int, _ bytes: Int, _ size: Int?) -> Void)?
    /// The values of the fields read from the file's name, once known.
    var fileNameValues: [(FieldSpec, String)]?
    /// For checking only (`validate`): flat CSV rows are screened on their bytes, on every core, and valid records
    /// come as `.screened` (free text left out), in file order. Rows the screen cannot vouch for go through the full
    /// path as usual.
    public var screening = false
    /// For an import: each XML record's own text is kept as read, to be stored beside it (`validate` needs none).
    public var keepsSource = false
    /// Threads that screen rows (`screening`); nil for one per core. At most 8 are used.
    public var screenThreads: Int?
    /// Bytes of the blocks whose segments are screened at once (`ScreenedRows.defaultBlockSize`). Tests make it tiny
    /// to cut records in many places.
    var screenBlockSize = ScreenedRows.defaultBlockSize
    /// Every flow, asked only when a file is not in its flow's format, to name the flows that would take it.
    public var alternatives: (@Sendable () -> [FlowMapping])?
    /// Whether the file was looked at already (`FileLook`).
    var looked = false

    public init(flow: FlowMapping, schemaPath: String? = nil) {
        self.flow = flow
        self.engine = MappingEngine(flow: flow)
        self.schemaPath = schemaPath
    }

    /// File-level results: the header fields and issues that concern the whole file.
    public struct FileLevel: Sendable {
        public var header = FluxHeader()
        /// Issues that stop the file from being applied.
        public var issues: [ValidationIssue] = []
        /// Issues reported with the file that do not stop it.
        public var warnings: [ValidationIssue] = []
        public var records = 0
        /// A CSV file's header line (its column names joined by its separator).
        public var csvHeader: String?
    }

    /// Streams `path`. `header` is called once the file-level fields before the first record are known;
    /// a `FormatError` means the file cannot be read (its records must not be applied).
    public func read(
        _ path: String, header: (FluxHeader) throws -> Void, record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
        if !looked {
            // What the file is, said before a reader of the wrong kind says something else (an empty file is
            // « empty », random bytes « not a text file », CSV given to an XML flow « looks like CSV »).
            let look = try FileLook.of(path)
            let layouts = [flow] + flow.variants
            if !layouts.contains(where: { $0.format == look.format }) {
                let expected = Set(layouts.map { $0.format.rawValue.uppercased() }).sorted().joined(separator: ", ")
                let takers = look.takers(among: alternatives?() ?? []).filter { $0 != flow.id }
                throw FormatError(
                    issue: ValidationIssue(
                        type: .formatError, field: "format", line: 1,
                        message:
                            "Le fichier ressemble à du \(look.format.rawValue.uppercased()) ; le flux « \(flow.id) » attend : \(expected)."
                            + (takers.isEmpty
                                ? "" : " Flux qui prendraient ce fichier : \(takers.joined(separator: ", ")).")))
            }
            // XML of another flow: none of this flow's record elements at its start, another inbound flow's instead
            // (a file of this flow with no record at all is not refused for it).
            if look.isOtherXML(than: layouts),
                case let takers = look.takers(among: alternatives?() ?? []).filter({ $0 != flow.id }), !takers.isEmpty
            {
                let elements = layouts.compactMap(\.recordElement).map { "<\($0)>" }.joined(separator: ", ")
                throw FormatError(
                    issue: ValidationIssue(
                        type: .formatError, field: "format", line: 1,
                        message:
                            "Le fichier est du XML, mais d'un autre flux : aucun élément \(elements) attendu par le flux « \(flow.id) »."
                            + " Flux qui prendraient ce fichier : \(takers.joined(separator: ", "))."))
            }
            var stream = self
            stream.looked = true
            return try stream.read(path, header: header, record: record)
        }
        let chosen = try flow.resolve(forFile: path)
        if chosen.variant != flow.variant || chosen.format != flow.format {
            var stream = RecordStream(flow: chosen, schemaPath: schemaPath)
            stream.progress = progress
            stream.fileNameValues = fileNameValues
            stream.screening = screening
            stream.screenThreads = screenThreads
            stream.screenBlockSize = screenBlockSize
            stream.looked = true
            return try stream.read(path, header: header, record: record)
        }
        if !flow.fileNameFields.isEmpty && fileNameValues == nil {
            var stream = self
            stream.fileNameValues = try flow.fileNameValues(forFile: path)
            return try stream.read(path, header: header, record: record)
        }
        switch flow.format {
        case .xml: return try readXML(path, header: header, record: record)
        case .csv: return try readCSV(path, header: header, record: record)
        case .json: return try readJSON(path, header: header, record: record)
        }
    }

    private func readXML(
        _ path: String, header: (FluxHeader) throws -> Void, record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
        var options = XMLRecordReader.Options(
            recordElement: flow.recordElement ?? "", encoding: flow.encoding, schemaPath: schemaPath)
        options.maxSchemaIssues = 100_000
        options.keepsSource = keepsSource
        let reader = try XMLRecordReader(path: path, options: options)
        var level = FileLevel()
        var fileBag = FieldBag(line: nil, path: "")
        var fileDate: LocalDate?
        let crossCheck = FileCrossCheck()
        var headerSent = false
        let recordName = flow.recordElement ?? ""
        func sendHeader() throws {
            guard !headerSent else { return }
            headerSent = true
            try header(RecordBuilder.fluxHeader(from: fileBag))
        }
        try reader.read(
            section: { section in
                let (bag, issues) = engine.mapSection(section, name: section.name, into: fileBag)
                fileBag = bag
                level.issues.append(contentsOf: issues)
            },
            record: { node, index, schemaIssues in
                try sendHeader()
                let path = "\(recordName)[\(index + 1)]"
                if fileDate == nil { fileDate = fileBag.date("createdOn") ?? fileBag.date("referenceDate") }
                var anomalies: [ValidationIssue] = []
                var unused: UInt64?
                var outcome = classify(
                    engine.map(node, path: path), extraIssues: schemaIssues, index: index, line: node.line,
                    raw: { node.serialised() }, source: { node.serialisedBytes() }, fingerprintWith: nil,
                    fingerprint: &unused, fileDate: fileDate, anomalies: &anomalies)
                if case .household(let household, _, let line, let source) = outcome,
                    flow.checks[.personInSeveralHouseholds] != .off
                {
                    let (errors, more) = flow.checks.split(crossCheck.findings(household, line: line, path: path))
                    anomalies += more
                    if !errors.isEmpty {
                        outcome = .rejected(
                            index: index, line: line, key: household.key.description,
                            raw: String(decoding: source(), as: UTF8.self), issues: errors)
                    }
                }
                try record(outcome)
                if !anomalies.isEmpty {
                    try record(.anomalies(index: index, line: node.line, key: outcome.maskedKey, issues: anomalies))
                }
                level.records += 1
                if index % 512 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
            })
        try sendHeader()
        level.header = RecordBuilder.fluxHeader(from: fileBag)
        level.issues.append(contentsOf: reader.fileIssues)
        sort(reader.warnings, into: &level)
        if reader.droppedSchemaIssues > 0 {
            level.issues.append(
                ValidationIssue(
                    type: .schemaError,
                    message: "\(reader.droppedSchemaIssues) autres erreurs de schéma non détaillées."))
        }
        if flow.file != nil {
            level.issues.append(contentsOf: engine.checkRequiredFileFields(fileBag))
        }
        // The file was read to its end and is well-formed (a truncated or malformed one threw above): a count that
        // disagrees is the check's to judge, not a reason in itself to refuse what was read.
        if flow.reconcileCount, let declared = level.header.declaredCount, declared != level.records {
            switch flow.checks[.countMismatch] {
            case .reject:
                level.issues.append(
                    ValidationIssue(
                        type: .reconciliationError, field: "declaredCount", value: String(declared),
                        message:
                            "Le fichier annonce \(declared) enregistrement(s) mais en contient \(level.records) : fichier incomplet ou mal constitué, il n'est pas appliqué.",
                        check: .countMismatch))
            case .warn:
                level.warnings.append(
                    ValidationIssue(
                        type: .reconciliationError, field: "declaredCount", value: String(declared),
                        message:
                            "Le fichier annonce \(declared) enregistrement(s) mais en contient \(level.records) : les enregistrements lus sont appliqués ; nombre déclaré à vérifier.",
                        check: .countMismatch))
            case .off: break
            }
        }
        progress?(level.records, reader.bytesConsumed, reader.fileSize)
        return level
    }

    private func readCSV(
        _ path: String, header: (FluxHeader) throws -> Void, record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
        var options = CSVOptions(requiredColumns: flow.requiredColumns)
        options.delimiter = flow.delimiter
        if let encoding = flow.encoding {
            options.encoding = TextEncoding(label: encoding) ?? .auto
        }
        let reader = try CSVReader(path: path, options: options)
        var columns: [String: Int] = [:]
        for (index, name) in reader.header.enumerated() where columns[name.lowercased()] == nil {
            columns[name.lowercased()] = index
        }
        // The mapping's own spellings too, so that a row's lookups need no lower-casing.
        let mapped = flow.record.fields + flow.record.collections.flatMap(\.record.fields)
        for name in mapped.compactMap(\.source.steps.first?.name) where columns[name] == nil {
            columns[name] = columns[name.lowercased()]
        }
        try header(FluxHeader())
        if screening,
            let screen = RowScreen(
                flow: flow, header: reader.header, columns: columns, fileNameValues: fileNameValues ?? [])
        {
            let rows = ScreenedRows(
                reader, screen: screen, threads: ScreenedRows.threads(screenThreads), blockSize: screenBlockSize)
            let source = ScreenedCSVSource(rows, reader: reader)
            return try readCSV(source, reader: reader, columns: columns, record: record)
        }
        let groupColumns = flow.groupBy.compactMap { columns[$0.lowercased()] }
        return try readCSV(
            MappedCSVSource(reader, groupColumns: groupColumns, maxRows: Self.maxRowsPerGroup), reader: reader,
            columns: columns, record: record)
    }

    /// The records of `source`, mapped and checked, in one loop whichever the source.
    private func readCSV<Source: CSVRecordSource>(
        _ source: Source, reader: CSVReader, columns: [String: Int], record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
        var source = source
        var level = FileLevel()
        var index = 0
        // Valid records in a row, handed over together.
        var run = (rows: 0, repeated: 0)
        func flush() throws {
            guard run.rows > 0 else { return }
            try record(.screened(rows: run.rows, repeated: run.repeated))
            run = (0, 0)
        }
        /// A valid record once checked for repeats; `reread` gives its masked key and text, for a conflict.
        func counted(_ repeated: Repeat, line: Int?, reread: () -> (maskedKey: String, raw: String)) throws {
            switch repeated {
            case .first: run.rows += 1
            case .identical:
                run.rows += 1
                run.repeated += 1
            case .conflicting:
                try flush()
                let (masked, raw) = reread()
                try record(
                    .rejected(
                        index: index, line: line, key: masked, raw: raw,
                        issues: [FilePipeline.conflict(maskedKey: masked, line: line)]))
            }
            index += 1
            if index % 1024 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
        }
        // Rows of one record (`csv.group-by`): one row, or a few for one accompaniment.
        func emit(_ group: [CSVRecord]) throws {
            guard let first = group.first else { return }
            var extra: [ValidationIssue] = []
            for row in group where row.fields.count != reader.header.count {
                extra.append(
                    ValidationIssue(
                        type: .structureError, line: row.line,
                        message:
                            "La ligne compte \(row.fields.count) colonnes au lieu de \(reader.header.count) : séparateur ou guillemets à vérifier."
                    ))
            }
            let node = CSVRowNode(record: first, columns: columns, others: Array(group.dropFirst()))
            var fingerprint: UInt64?
            var anomalies: [ValidationIssue] = []
            let outcome = classify(
                engine.map(node, path: "ligne \(first.line)"), extraIssues: extra, index: index, line: first.line,
                raw: { group.map(\.raw).joined(separator: "\n") }, fingerprintWith: source.screen,
                fingerprint: &fingerprint, anomalies: &anomalies)
            if case .partner(let partnerRecord, _, let line, let raw) = outcome, let fingerprint {
                // Accepted by the full path beside screened rows: checked for repeats with them.
                let at = index
                try counted(
                    source.check(partnerRecord.businessKeyDigest, fingerprint: fingerprint), line: line,
                    reread: { (partnerRecord.maskedKey, raw()) })
                if !anomalies.isEmpty {
                    try flush()
                    try record(.anomalies(index: at, line: first.line, key: partnerRecord.maskedKey, issues: anomalies))
                }
                return
            }
            try flush()
            try record(outcome)
            if !anomalies.isEmpty {
                try record(.anomalies(index: index, line: first.line, key: outcome.maskedKey, issues: anomalies))
            }
            index += 1
            if index % 1024 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
        }
        while let item = try source.next() {
            switch item {
            case .rows(let group): try emit(group)
            case .valid(let key, let fingerprint, let line, let bytes):
                try counted(source.check(key, fingerprint: fingerprint), line: line, reread: { source.reread(bytes) })
            case .conflicting(let line, let bytes):
                try counted(.conflicting, line: line, reread: { source.reread(bytes) })
            case .run(let rows, let repeated):
                let before = index
                run.rows += rows
                run.repeated += repeated
                index += rows
                if before / 1024 != index / 1024 { progress?(index, reader.bytesConsumed, reader.fileSize) }
            }
        }
        try flush()
        progress?(index, reader.bytesConsumed, reader.fileSize)
        level.records = index
        level.csvHeader = reader.header.joined(separator: String(UnicodeScalar(reader.delimiter)))
        sort(reader.encodingWarnings, into: &level)
        return level
    }

    private func readJSON(
        _ path: String, header: (FluxHeader) throws -> Void, record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
        let reader = try JSONRecordReader(path: path, arrayKey: flow.jsonArrayKey)
        try header(FluxHeader())
        var level = FileLevel()
        var index = 0
        while let item = try reader.next() {
            let node = JSONNode(value: item.value, line: item.line)
            try record(
                classify(
                    engine.map(node, path: "enregistrement \(index + 1)"), extraIssues: [], index: index,
                    line: item.line, raw: { item.raw }))
            index += 1
            if index % 1024 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
        }
        progress?(index, reader.bytesConsumed, reader.fileSize)
        level.records = index
        return level
    }

    /// A record spanning more rows than this is cut: a group key repeated over a whole file is a mistake, and
    /// memory must stay bounded.
    static let maxRowsPerGroup = 1000

    /// A reader's file-level warnings: those of a plausibility check follow the flow's severity (a check set to
    /// reject refuses the file), the others (parser warnings) stay warnings.
    private func sort(_ warnings: [ValidationIssue], into level: inout FileLevel) {
        for warning in warnings {
            guard let check = warning.check.flatMap(PlausibilityCheck.init(rawValue:)) else {
                level.warnings.append(warning)
                continue
            }
            switch flow.checks[check] {
            case .warn: level.warnings.append(warning)
            case .reject: level.issues.append(warning)
            case .off: break
            }
        }
    }

    /// Mapping issues and canonical checks decide whether a record is kept.
    func classify(
        _ mapped: (FieldBag, [ValidationIssue]), extraIssues: [ValidationIssue], index: Int, line: Int?,
        raw: @escaping () -> String
    ) -> RecordOutcome {
        var unused: UInt64?
        var anomalies: [ValidationIssue] = []
        return classify(
            mapped, extraIssues: extraIssues, index: index, line: line, raw: raw, fingerprintWith: nil,
            fingerprint: &unused, anomalies: &anomalies)
    }

    /// `classify`, and the fingerprint of a valid record's values by `screen` (`RowScreen.fingerprint`). The
    /// plausibility checks' findings go to `anomalies` when the flow sets them to warn, and refuse the record when
    /// it sets them to reject; `fileDate` is the file's own date, for the checks of dates. `source` gives the
    /// record's UTF-8 bytes straight, when the reader has them (`raw`'s text otherwise).
    func classify(
        _ mapped: (FieldBag, [ValidationIssue]), extraIssues: [ValidationIssue], index: Int, line: Int?,
        raw: @escaping () -> String, source: (() -> [UInt8])? = nil, fingerprintWith screen: RowScreen?,
        fingerprint: inout UInt64?,
        fileDate: LocalDate? = nil, anomalies: inout [ValidationIssue]
    ) -> RecordOutcome {
        var (bag, mappingIssues) = mapped
        var issues = extraIssues + mappingIssues
        for (spec, value) in fileNameValues ?? [] where !bag.contains(spec.name) {
            bag.set(spec.name, .text(value), origin: FieldOrigin(line: nil, path: "nom du fichier"))
        }
        switch flow.record.entity.name {
        case Catalogue.household.name:
            var findings: [ValidationIssue] = []
            let built = RecordBuilder.household(from: bag, fileDate: fileDate, findings: &findings)
            let (errors, warnings) = flow.checks.split(findings)
            issues += errors
            switch built {
            case .success(let household) where issues.isEmpty:
                anomalies = warnings
                return .household(household, index: index, line: line, source: source ?? { Array(raw().utf8) })
            case .success: break
            case .failure(let list): issues.append(contentsOf: list.issues)
            }
            // A record refused on its own merits tells the partner what else looked odd in it.
            issues += warnings
        default:
            var findings: [ValidationIssue] = []
            let built = RecordBuilder.partnerRecord(entity: flow.record.entity.name, from: bag, findings: &findings)
            let (errors, warnings) = flow.checks.split(findings)
            issues += errors
            switch built {
            case .success(let partnerRecord) where issues.isEmpty:
                anomalies = warnings
                fingerprint = screen?.fingerprint(bag)
                return .partner(partnerRecord, index: index, line: line, raw: raw)
            case .success: break
            case .failure(let list):
                // A field the mapping refused (invalid or missing) is absent from the bag: the builder's
                // « absent » for it would report the same cell twice.
                let reported = Set(mappingIssues.compactMap(\.field))
                issues.append(contentsOf: list.issues.filter { $0.field.map { !reported.contains($0) } ?? true })
            }
            issues += warnings
        }
        if issues.isEmpty {
            issues.append(
                ValidationIssue(type: .structureError, line: line, message: "Enregistrement incomplet."))
        }
        return .rejected(index: index, line: line, key: maskedKey(bag), raw: raw(), issues: issues)
    }

    /// The masked business key of a refused record, as far as it could be read.
    private func maskedKey(_ bag: FieldBag) -> String? {
        if flow.record.entity.name != Catalogue.household.name {
            if case .franceTravailID(let id)? = bag["person.franceTravailID"] { return "FT " + id.masked }
            if case .nir(let nir)? = bag["person.nir"] { return nir.masked }
            for name in ["id", "profileID", "proposalID"] {
                if let value = bag.text(name) { return Masking.looksLikeNIR(value) ? Masking.nir(value) : value }
            }
            return nil
        }
        guard case .matricule(let matricule)? = bag["matricule"] else { return nil }
        if let organisme = bag.text("organisme").flatMap(Organisme.init(rawValue:)) {
            return HouseholdKey(organisme: organisme, matricule: matricule).description
        }
        return "? " + Masking.identifier(matricule.canonical)
    }
}

extension FlowMapping {
    /// The layout of this flow a file is in: XML, JSON or CSV by its first bytes, then among CSV layouts the
    /// first whose required columns the header holds. With one layout, that layout.
    public func resolve(forFile path: String) throws -> FlowMapping {
        guard !variants.isEmpty else { return self }
        let layouts = [self] + variants
        let sniffed = try Self.sniffFormat(path)
        let candidates = layouts.filter { $0.format == sniffed }
        guard let first = candidates.first else {
            throw FormatError(
                issue: ValidationIssue(
                    type: .formatError, line: 1,
                    message:
                        "Le fichier ressemble à du \(sniffed.rawValue.uppercased()) ; le flux « \(id) » attend : \(Set(layouts.map { $0.format.rawValue.uppercased() }).sorted().joined(separator: ", "))."
                ))
        }
        guard sniffed == .csv, candidates.count > 1 else { return first }
        var firstError: (any Error)?
        for candidate in candidates {
            var options = CSVOptions(requiredColumns: candidate.requiredColumns)
            options.delimiter = candidate.delimiter
            if let encoding = candidate.encoding {
                options.encoding = TextEncoding(label: encoding) ?? .auto
            }
            do {
                _ = try CSVReader(path: path, options: options)
                return candidate
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? FormatError(message: "Fichier illisible.")
    }

    /// XML when the first significant byte is `<`, JSON when `[` or `{`, CSV otherwise.
    static func sniffFormat(_ path: String) throws -> FileFormat { try FileLook.of(path).format }

    /// The values of the fields read from the file's name; a required one that no fragment gives makes the
    /// file unusable.
    func fileNameValues(forFile path: String) throws -> [(FieldSpec, String)] {
        let name = (path as NSString).lastPathComponent
        var values: [(FieldSpec, String)] = []
        for field in fileNameFields {
            if let value = field.value(forFileNamed: name) {
                values.append((field.spec, value))
            } else if field.required {
                let fragments = field.patterns.map(\.fragment).joined(separator: ", ")
                throw FormatError(
                    issue: ValidationIssue(
                        type: .formatError, field: field.spec.name,
                        message:
                            "Le nom du fichier « \(name) » ne dit pas sa nature (\(field.spec.name)) : il doit contenir l'un de : \(fragments)."
                    ))
            }
        }
        return values
    }
}
