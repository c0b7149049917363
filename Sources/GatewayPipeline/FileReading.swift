import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping

/// One record as the pipeline sees it after mapping and validation.
public enum RecordOutcome {
    /// A valid household.
    case household(Household, index: Int, line: Int?, raw: () -> String)
    /// A record refused with its issues; `key` is the masked business key when it could be read.
    case rejected(index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue])
}

/// Reads a partner file through its flow mapping, one record at a time: reader → mapping → canonical record.
public struct RecordStream: Sendable {
    public let flow: FlowMapping
    let engine: MappingEngine
    public var schemaPath: String?
    /// Called with the records read, the bytes consumed and the file size, every few hundred records.
    public var progress: (@Sendable (_ records: Int, _ bytes: Int, _ size: Int?) -> Void)?

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
    }

    /// Streams `path`. `header` is called once the file-level fields before the first record are known;
    /// a `FormatError` means the file cannot be read (its records must not be applied).
    public func read(
        _ path: String, header: (FluxHeader) throws -> Void, record: (RecordOutcome) throws -> Void
    ) throws -> FileLevel {
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
        let reader = try XMLRecordReader(path: path, options: options)
        var level = FileLevel()
        var fileBag = FieldBag(line: nil, path: "")
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
                let outcome = classify(
                    engine.map(node, path: path), extraIssues: schemaIssues, index: index, line: node.line,
                    raw: { node.serialised() })
                try record(outcome)
                level.records += 1
                if index % 512 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
            })
        try sendHeader()
        level.header = RecordBuilder.fluxHeader(from: fileBag)
        level.issues.append(contentsOf: reader.fileIssues)
        level.warnings.append(contentsOf: reader.warnings)
        if reader.droppedSchemaIssues > 0 {
            level.issues.append(
                ValidationIssue(
                    type: .schemaError,
                    message: "\(reader.droppedSchemaIssues) autres erreurs de schéma non détaillées."))
        }
        if flow.file != nil {
            level.issues.append(contentsOf: engine.checkRequiredFileFields(fileBag))
        }
        if flow.reconcileCount, let declared = level.header.declaredCount, declared != level.records {
            level.issues.append(
                ValidationIssue(
                    type: .reconciliationError, field: "declaredCount", value: String(declared),
                    message:
                        "Le fichier annonce \(declared) enregistrement(s) mais en contient \(level.records) : fichier incomplet ou mal constitué, il n'est pas appliqué."
                ))
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
            options.encoding = TextEncoding(rawValue: encoding.lowercased()) ?? .auto
        }
        let reader = try CSVReader(path: path, options: options)
        var columns: [String: Int] = [:]
        for (index, name) in reader.header.enumerated() where columns[name.lowercased()] == nil {
            columns[name.lowercased()] = index
        }
        try header(FluxHeader())
        var level = FileLevel()
        var index = 0
        while let row = try reader.next() {
            var extra: [ValidationIssue] = []
            if row.fields.count != reader.header.count {
                extra.append(
                    ValidationIssue(
                        type: .structureError, line: row.line,
                        message:
                            "La ligne compte \(row.fields.count) colonnes au lieu de \(reader.header.count) : séparateur ou guillemets à vérifier."
                    ))
            }
            let node = CSVRowNode(record: row, columns: columns)
            try record(
                classify(
                    engine.map(node, path: "ligne \(row.line)"), extraIssues: extra, index: index, line: row.line,
                    raw: { row.raw }))
            index += 1
            if index % 1024 == 0 { progress?(index, reader.bytesConsumed, reader.fileSize) }
        }
        level.records = index
        level.warnings.append(contentsOf: reader.encodingWarnings)
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
        level.records = index
        return level
    }

    /// Mapping issues and canonical checks decide whether a record is kept.
    func classify(
        _ mapped: (FieldBag, [ValidationIssue]), extraIssues: [ValidationIssue], index: Int, line: Int?,
        raw: @escaping () -> String
    ) -> RecordOutcome {
        let (bag, mappingIssues) = mapped
        var issues = extraIssues + mappingIssues
        switch flow.record.entity.name {
        case Catalogue.household.name:
            switch RecordBuilder.household(from: bag) {
            case .success(let household) where issues.isEmpty:
                return .household(household, index: index, line: line, raw: raw)
            case .success: break
            case .failure(let list): issues.append(contentsOf: list.issues)
            }
        default:
            issues.append(
                ValidationIssue(
                    type: .structureError, line: line,
                    message: "Entité « \(flow.record.entity.name) » non prise en charge par cette version."))
        }
        if issues.isEmpty {
            issues.append(
                ValidationIssue(type: .structureError, line: line, message: "Enregistrement incomplet."))
        }
        return .rejected(index: index, line: line, key: maskedKey(bag), raw: raw(), issues: issues)
    }

    /// The masked business key of a refused record, as far as it could be read.
    private func maskedKey(_ bag: FieldBag) -> String? {
        guard case .matricule(let matricule)? = bag["matricule"] else { return nil }
        if let organisme = bag.text("organisme").flatMap(Organisme.init(rawValue:)) {
            return HouseholdKey(organisme: organisme, matricule: matricule).description
        }
        return "? " + Masking.identifier(matricule.canonical)
    }
}
