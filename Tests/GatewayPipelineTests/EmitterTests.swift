import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayPipeline
import Testing

/// Reads a file through a flow: the canonical records, and the issues of the refused ones.
func readRecords(_ path: String, flow: FlowMapping) throws -> (records: [PartnerRecord], issues: [ValidationIssue]) {
    var records: [PartnerRecord] = []
    var issues: [ValidationIssue] = []
    let level = try RecordStream(flow: flow).read(
        path, header: { _ in },
        record: { outcome in
            switch outcome {
            case .partner(let record, _, _, _): records.append(record)
            case .household, .screened, .anomalies: break
            case .rejected(_, _, _, _, let found): issues += found
            }
        })
    return (records, issues + level.issues)
}

@Suite("Emitters: mappings read in reverse")
struct EmitterTests {
    static let accompanimentCSV = """
        flow: test-followup
        variant: csv
        partner: operators
        format: csv
        encoding: windows-1252
        entity: accompaniment
        csv:
          delimiter: ";"
          group-by: [id]
        defaults:
          date-format: dd/MM/yyyy
        fields:
          id: { path: id, required: true }
          operator: { path: structure, required: true }
          fiche: { path: fiche, required: true, codes: { F1: "1", F4: "4", F5: "5", F9: "9", PER: PER } }
          person.nir: { path: nir }
          person.surname: { path: nom }
          person.firstName: { path: prenom }
          person.birthDate: { path: naissance }
          referent: { path: referent }
          startDate: { path: debut, required: true }
          endDate: { path: fin }
          jobReady: { path: pret_emploi, true: [oui], false: [non] }
          targetROME: { path: rome }
          mobility: { path: mobilite }
          exit.type: { path: sortie }
          exit.date: { path: date_sortie }
        collections:
          meetings:
            path: "*"
            fields:
              date: { path: rdv_date, required: true }
              mode: { path: rdv_mode, codes: { I: individual, C: collective } }
              employerRelated: { path: rdv_employeur, true: [oui], false: [non] }
        """

    static var accompanimentJSON: String {
        """
        flow: test-followup
        variant: json
        partner: operators
        format: json
        entity: accompaniment
        json:
          array: accompagnements
        fields:
          id: { path: id, required: true }
          operator: { path: structure/code, required: true }
          fiche: { path: fiche, required: true }
          person.nir: { path: personne/nir }
          person.surname: { path: personne/nom }
          person.firstName: { path: personne/prenom }
          person.birthDate: { path: personne/naissance }
          referent: { path: structure/referent }
          startDate: { path: debut, required: true }
          endDate: { path: fin }
          jobReady: { path: pretEmploi }
          targetROME: { path: romeVise }
          mobility: { path: mobilite, pick: all }
          exit.type: { path: sortie/type }
          exit.date: { path: sortie/date }
        collections:
          meetings:
            path: rendezVous
            fields:
              date: { path: date, required: true }
              mode: { path: mode }
              employerRelated: { path: employeur }
        """
    }

    static var accompanimentXML: String {
        accompanimentJSON.replacingOccurrences(of: "variant: json", with: "variant: xml")
            .replacingOccurrences(of: "format: json", with: "format: xml")
            .replacingOccurrences(
                of: "json:\n  array: accompagnements", with: "xml:\n  root: suivis\n  record: accompagnement")
    }

    static func accompaniments() throws -> [PartnerRecord] {
        let meetings = [
            Meeting(date: LocalDate(iso: "2026-09-08")!, mode: .individual, employerRelated: false),
            Meeting(date: LocalDate(iso: "2026-09-22")!, mode: .collective, employerRelated: true),
        ]
        return [
            .accompaniment(
                Accompaniment(
                    person: PersonIdentity(
                        nir: try NIR(validating: "1840367482123"), surname: "BŒUF", firstName: "François",
                        birthDate: LocalDate(iso: "1984-03-12")),
                    id: "ACC-001", operatorCode: "ALSA", fiche: .jobCoaching, referent: "C. Meyer; référente",
                    startDate: LocalDate(iso: "2026-09-01")!, jobReady: true,
                    targetROME: try ROMECode(validating: "K2204"),
                    mobility: ["67482", "67218", "68"], meetings: meetings)),
            .accompaniment(
                Accompaniment(
                    person: PersonIdentity(
                        surname: "KIEFFER", firstName: "Mélanie \"Mel\"", birthDate: LocalDate(iso: "1979-07-30")),
                    id: "ACC-002", operatorCode: "ALSA", fiche: .socioprofessional,
                    startDate: LocalDate(iso: "2026-03-01")!,
                    endDate: LocalDate(iso: "2026-10-15"), jobReady: false,
                    exit: AccompanimentExit(type: .longFixedTerm, date: LocalDate(iso: "2026-10-15")))),
        ]
    }

    @Test(
        "Read → canonical → emit → read gives the same records, in CSV (a row per meeting), JSON and XML",
        arguments: [
            "csv", "json", "xml",
        ])
    func roundTrip(format: String) throws {
        let yaml =
            switch format {
            case "csv": Self.accompanimentCSV
            case "json": Self.accompanimentJSON
            default: Self.accompanimentXML
            }
        let flow = try MappingLoader.load(yaml: yaml)
        let temp = try TempDirectory()
        let first = temp.path("first.\(format)")
        let emitter = try MappingEmitter(flow: flow, path: first)
        let originals = try Self.accompaniments()
        for record in originals { try emitter.write(record.fields) }
        try emitter.finish()
        let (read, issues) = try readRecords(first, flow: flow)
        #expect(issues.isEmpty, "\(issues)")
        #expect(read == originals)
        // And once more from what was read: byte-identical output.
        let second = temp.path("second.\(format)")
        let again = try MappingEmitter(flow: flow, path: second)
        for record in read { try again.write(record.fields) }
        try again.finish()
        #expect(FileManager.default.contents(atPath: first) == FileManager.default.contents(atPath: second))
        if format == "csv" {
            // Windows-1252 as declared: Œ is 0x8C, é 0xE9; one row per meeting, one for no meeting.
            let bytes = try #require(FileManager.default.contents(atPath: first))
            #expect(bytes.contains(0x8C) && bytes.contains(0xE9))
            #expect(String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").count == 1 + 2 + 1)
        }
    }

    @Test("Cells a spreadsheet would run as formulas are neutralised in every emitted CSV")
    func formulaInjection() throws {
        let flow = try MappingLoader.load(yaml: Self.accompanimentCSV)
        let temp = try TempDirectory()
        var record = try Self.accompaniments()[0].fields
        record["referent"] = "=HYPERLINK(\"http://x\")"
        record["operator"] = "@SUM(A1)"
        record["id"] = "+33"
        let path = temp.path("out.csv")
        let emitter = try MappingEmitter(flow: flow, path: path)
        try emitter.write(record)
        try emitter.finish()
        let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
        for line in text.split(separator: "\r\n").dropFirst() {
            for cell in line.split(separator: ";") {
                let trimmed = cell.hasPrefix("\"") ? cell.dropFirst() : cell
                #expect(!["=", "+", "@"].contains(trimmed.first.map(String.init) ?? ""), "unsafe cell \(cell)")
            }
        }
    }
}

@Suite("Sourcing rules")
struct SourcingRuleTests {
    static let day = LocalDate(iso: "2026-11-02")!

    static func post(rome: String = "K2204", commune: String? = "67482", territory: String = "67") throws -> JobPost {
        JobPost(
            id: "DE67-1", title: "Agent d'entretien", rome: try ROMECode(validating: rome),
            commune: try commune.map { try INSEECommune(validating: $0) }, contractType: .cdi, territory: territory)
    }

    static func candidate(
        _ id: String, rome: String? = "K2204", mobility: [String] = ["67482"], jobReady: Bool? = true,
        soumis: Bool = true, right: RightState? = .openPaid, start: String = "2026-09-01", exit: ExitType? = nil
    ) throws -> Sourcing.Candidate {
        Sourcing.Candidate(
            personID: Int64(id.hashValue & 0xffff), accompanimentRecordID: 1,
            accompaniment: Accompaniment(
                person: PersonIdentity(), id: id, operatorCode: "ALSA", fiche: .jobCoaching,
                startDate: LocalDate(iso: start)!, jobReady: jobReady,
                targetROME: try rome.map { try ROMECode(validating: $0) },
                mobility: mobility, exit: exit.map { AccompanimentExit(type: $0, date: LocalDate(iso: "2026-10-01")) }),
            soumisDroitsDevoirs: soumis, rightState: right, firstName: "Ana", surname: "Vogel", cv: nil)
    }

    @Test("Same ROME and commune first, then same family or département; ties to the longest accompanied")
    func ranking() throws {
        let ranked = Sourcing.rank(
            [
                try Self.candidate("family-dept", rome: "K2203", mobility: ["67"]),
                try Self.candidate("exact-dept", mobility: ["67"]),
                try Self.candidate("exact-commune-late", start: "2026-10-01"),
                try Self.candidate("exact-commune"),
            ], for: try Self.post(), on: Self.day)
        #expect(
            ranked.map(\.0.accompaniment.id) == ["exact-commune", "exact-commune-late", "exact-dept", "family-dept"])
        #expect(ranked.map(\.1.score) == [22, 22, 21, 11])
    }

    @Test("Out: not job-ready, other ROME family, outside mobility, not soumis, right closed, exited")
    func exclusions() throws {
        let post = try Self.post()
        for candidate in [
            try Self.candidate("not-ready", jobReady: false), try Self.candidate("unknown-ready", jobReady: nil),
            try Self.candidate("other-family", rome: "N1103"), try Self.candidate("no-rome", rome: nil),
            try Self.candidate("elsewhere", mobility: ["68", "67218"]), try Self.candidate("not-soumis", soumis: false),
            try Self.candidate("closed", right: .closed), try Self.candidate("refused", right: .refused),
            try Self.candidate("exited", exit: .cdi), try Self.candidate("future", start: "2026-12-01"),
        ] {
            #expect(Sourcing.closeness(of: candidate, to: post, on: Self.day) == nil, "\(candidate.accompaniment.id)")
        }
        #expect(
            Sourcing.closeness(
                of: try Self.candidate("suspended", right: .openPaymentSuspended), to: post, on: Self.day) != nil)
    }

    @Test("What the employer team receives: no NIR, no birth date, no benefit data")
    func minimised() throws {
        let candidate = try Self.candidate("ACC-9")
        let fields = Sourcing.fields(
            candidate, closeness: Sourcing.Closeness(rome: 2, place: 2), rank: 1, post: try Self.post())
        #expect(Set(fields.values.keys).isSubset(of: Set(Catalogue.candidate.fields.map(\.name))))
        #expect(fields["surnameInitial"] == "V.")
        #expect(fields["proposalID"] == "DE67-1:ALSA:ACC-9")
    }
}

/// Every good sample of every partner flow, through its own layout's mapping in both directions.
@Suite("Round trip of every partner sample: read → canonical → emit → read")
struct SampleRoundTripTests {
    @Test(
        "The records read back from the emitted file are the records read from the sample",
        arguments: PartnerSamplesTests.good)
    func roundTrip(sample: PartnerSamplesTests.Good) throws {
        let flow = try #require(PartnerSamplesTests.flows[sample.flow])
        let path = PartnerSamplesTests.path(sample.flow, sample.file)
        let layout = try flow.resolve(forFile: path)
        var header = FluxHeader()
        var records: [PartnerRecord] = []
        var issues: [ValidationIssue] = []
        let level = try RecordStream(flow: layout).read(
            path, header: { header = $0 },
            record: { outcome in
                switch outcome {
                case .partner(let record, _, _, _): records.append(record)
                case .household, .screened, .anomalies: break
                case .rejected(_, _, _, _, let found): issues += found
                }
            })
        #expect(issues.isEmpty && level.issues.isEmpty, "\(issues + level.issues)")
        #expect(records.count == sample.records)
        // Same file name: a flow may read facts from it (France Travail's kind).
        let temp = try TempDirectory()
        let emitted = temp.path(sample.file)
        var fileFields: [String: String] = [:]
        fileFields["createdOn"] = (header.createdOn ?? level.header.createdOn)?.iso
        fileFields["referenceDate"] = (header.referenceDate ?? level.header.referenceDate)?.iso
        fileFields["kind"] = level.header.kind
        fileFields["application"] = level.header.application
        let emitter = try MappingEmitter(
            flow: layout, path: emitted, fileFields: fileFields, declaredCount: records.count)
        for record in records { try emitter.write(record.fields) }
        try emitter.finish()
        #expect(try flow.resolve(forFile: emitted).variant == layout.variant, "the emitted file is in the same layout")
        let (again, problems) = try readRecords(emitted, flow: layout)
        #expect(problems.isEmpty, "\(problems)")
        #expect(again == records)
    }
}
