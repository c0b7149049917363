import Foundation
import GatewayCore
import GatewayFormats
import Testing

@testable import GatewayMapping

// MARK: - Fixtures

private enum EngineFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Samples/cnaf").appendingPathComponent(name).path
    }

    static func cnafFlow() throws -> FlowMapping {
        let path = repositoryRoot.appendingPathComponent("Mappings/caf-msa-beneficiaires-vrsb0801.yaml").path
        return try MappingLoader.load(yaml: String(contentsOfFile: path, encoding: .utf8), sourceFile: path)
    }

    /// A household-level CSV mapping: a CSV row is flat, so no collection.
    static let csvMapping = """
        flow: test-csv
        partner: test
        format: csv
        entity: household
        csv: { delimiter: ";" }
        fields:
          organisme: { path: fonorg, required: true, transforms: [trim, upper], codes: { CAF: CAF, MSA: MSA } }
          matricule: { path: matricule, required: true, transforms: [trim, digits-only] }
          right.state: { path: etat, required: true }
          rsaRequestDate: { path: dtdem, format: [dd/MM/yyyy, yyyy-MM-dd] }
          rsaRequestNumber: { path: numdem }
          homeless: { path: sdf }
          organismeNumber: { path: numorg, transforms: [trim, strip-leading-zeros] }
          partnerDepartement: { path: dep, null-values: ["000", "N/A"] }
          address.communeName: { path: commune, transforms: [trim, upper, collapse-spaces] }
          address.streetName: { path: voie, transforms: [collapse-spaces] }
          address.commune: { path: numcom }
        """

    /// A JSON mapping with a nested `people` collection.
    static let jsonMapping = """
        flow: test-json
        partner: test
        format: json
        entity: household
        json: { array: foyers }
        fields:
          organisme: { path: organisme, required: true, transforms: [trim, upper] }
          matricule: { path: dossier/matricule, required: true }
          right.state: { path: etat, required: true }
          rsaRequestDate: { path: dossier/date }
          homeless: { path: sdf }
        collections:
          people:
            path: personnes
            min: 1
            max: 3
            fields:
              surname: { path: nom, required: true, transforms: [trim, collapse-spaces] }
              firstName: { path: prenom, required: true }
              role: { path: role, required: true, transforms: [trim, upper] }
              birthDate: { path: naissance }
              nir: { path: nir }
              sex: { path: sexe }
              soumisDroitsDevoirs: { path: rsa/soumis }
        """

    /// A small XML mapping: repeated elements and a path filter.
    static let xmlMapping = """
        flow: test-xml
        partner: test
        format: xml
        entity: household
        xml: { record: Foyer }
        fields:
          organisme: { path: Org/FONORG, required: true }
          matricule: { path: Org/MATRICULE, required: true }
          right.state: { path: Etat, required: true }
          right.paymentSuspension.motive: { path: Suspension/MOTIF, pick: last }
          right.paymentSuspension.date: { path: Suspension/DATE, pick: last }
          right.rightSuspension.motive: { path: Suspension/MOTIF }
          right.rightSuspension.date: { path: Suspension/DATE, pick: first }
        collections:
          people:
            path: Personne
            fields:
              surname: { path: NOM, required: true }
              firstName: { path: PRENOM, required: true }
              role: { path: "Prestations[NATPREST=RSA]/ROLEPERS", required: true }
        """
}

/// Maps every row of a CSV text with `flow`, as the pipeline does.
private func mapCSV(_ text: String, flow: FlowMapping) throws -> [(bag: FieldBag, issues: [ValidationIssue])] {
    let reader = try CSVReader(
        bytes: Array(text.utf8), options: CSVOptions(requiredColumns: flow.requiredColumns, delimiter: flow.delimiter))
    var columns: [String: Int] = [:]
    for (index, name) in reader.header.enumerated() where columns[name.lowercased()] == nil {
        columns[name.lowercased()] = index
    }
    let engine = MappingEngine(flow: flow)
    var mapped: [(bag: FieldBag, issues: [ValidationIssue])] = []
    while let row = try reader.next() {
        let (bag, issues) = engine.map(CSVRowNode(record: row, columns: columns), path: "ligne \(row.line)")
        mapped.append((bag, issues))
    }
    return mapped
}

/// Maps every record of a JSON text with `flow`.
private func mapJSON(_ text: String, flow: FlowMapping) throws -> [(bag: FieldBag, issues: [ValidationIssue])] {
    let reader = try JSONRecordReader(bytes: Array(text.utf8), arrayKey: flow.jsonArrayKey)
    let engine = MappingEngine(flow: flow)
    var mapped: [(bag: FieldBag, issues: [ValidationIssue])] = []
    while let record = try reader.next() {
        let (bag, issues) = engine.map(
            JSONNode(value: record.value, line: record.line), path: "foyers[\(mapped.count + 1)]")
        mapped.append((bag, issues))
    }
    return mapped
}

/// Maps every record of an XML file with `flow`; file-level fields go into `header`.
private struct MappedXML {
    var records: [(bag: FieldBag, issues: [ValidationIssue])] = []
    var header = FieldBag(line: nil, path: "")
    var headerIssues: [ValidationIssue] = []
}

private func mapXML(_ path: String, flow: FlowMapping) throws -> MappedXML {
    let engine = MappingEngine(flow: flow)
    let reader = try XMLRecordReader(
        path: path, options: .init(recordElement: flow.recordElement ?? "", encoding: flow.encoding))
    var mapped = MappedXML()
    try reader.read(
        section: { node in
            let (bag, issues) = engine.mapSection(node, name: node.name, into: mapped.header)
            mapped.header = bag
            mapped.headerIssues += issues
        },
        record: { node, index, _ in
            let result = engine.map(node, path: "\(flow.recordElement ?? "")[\(index + 1)]")
            mapped.records.append((result.0, result.1))
        })
    mapped.headerIssues += engine.checkRequiredFileFields(mapped.header)
    return mapped
}

/// A temporary file removed when released.
private final class EngineScratchFile {
    let path: String

    init(_ text: String, suffix: String = ".xml") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "mapping-engine-tests-" + UUID().uuidString + suffix)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private func issue(_ issues: [ValidationIssue], field: String) -> ValidationIssue? {
    issues.first { $0.field == field }
}

// MARK: - Generic engine: CSV

@Suite("MappingEngine : CSV")
struct MappingEngineCSVTests {
    static let header = "fonorg;matricule;etat;dtdem;numdem;sdf;numorg;dep;commune;voie;numcom\n"

    @Test func aCSVRowIsMappedToCanonicalFields() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(
            Self.header
                + " caf ;24 187-36;2;14/02/2024;67124000318;O;0671;000;  sélestat   centre ;rue   des  Roses;67462\n"
                + "MSA;0712345;0;2024-02-14;;N;000;067;;;\n",
            flow: flow)
        try #require(rows.count == 2)

        let first = rows[0]
        #expect(first.issues.isEmpty, "\(first.issues)")
        #expect(first.bag.line == 2)
        #expect(first.bag.path == "ligne 2")
        #expect(first.bag.text("organisme") == "CAF")
        #expect(first.bag["matricule"] == .matricule(try Matricule(validating: "2418736")))
        #expect(first.bag.text("right.state") == "2")
        #expect(first.bag.date("rsaRequestDate") == LocalDate(year: 2024, month: 2, day: 14))
        #expect(first.bag.text("rsaRequestNumber") == "67124000318")
        #expect(first.bag.bool("homeless") == true)
        #expect(first.bag.text("organismeNumber") == "671")
        #expect(first.bag["partnerDepartement"] == nil, "000 est une valeur nulle")
        #expect(first.bag.text("address.communeName") == "SÉLESTAT CENTRE")
        #expect(first.bag.text("address.streetName") == "rue des Roses")
        #expect(first.bag["address.commune"] == .inseeCommune(try INSEECommune(validating: "67462")))
        #expect(first.bag.origins["matricule"] == FieldOrigin(line: 2, path: "matricule"))

        let second = rows[1]
        #expect(second.issues.isEmpty, "\(second.issues)")
        #expect(second.bag.line == 3)
        #expect(second.bag.text("organisme") == "MSA")
        #expect(second.bag.text("matricule") == "712345")
        #expect(second.bag.text("right.state") == "0")
        #expect(second.bag.date("rsaRequestDate") == LocalDate(year: 2024, month: 2, day: 14))
        #expect(second.bag.bool("homeless") == false)
        #expect(second.bag.text("organismeNumber") == "0")
        #expect(second.bag.text("partnerDepartement") == "067")
        // Empty optional cells are simply absent.
        #expect(second.bag["rsaRequestNumber"] == nil)
        #expect(second.bag["address.communeName"] == nil)

        // A flat row has no person: the household builder says so rather than inventing one.
        switch RecordBuilder.household(from: rows[0].bag) {
        case .success: Issue.record("un foyer sans personne ne doit pas être construit")
        case .failure(let list):
            #expect(list.issues.map(\.field) == ["people"])
            #expect(list.issues.first?.type == .missingCell)
            #expect(list.issues.first?.line == 2)
        }
    }

    @Test func badValuesAreLocatedFrenchIssues() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(
            Self.header + "CAF;2418736;2;14/02/2024;;O;671;067;X;;67462\n"
                + "CNAF;;9;31/02/2024;123456789012;peut-être;671;067;X;;6748\n",
            flow: flow)
        try #require(rows.count == 2)
        #expect(rows[0].issues.isEmpty)
        let issues = rows[1].issues
        #expect(issues.count == 7, "\(issues.map(\.message))")
        #expect(issues.allSatisfy { $0.line == 3 })

        let organisme = try #require(issue(issues, field: "organisme"))
        #expect(organisme.type == .constraintError)
        #expect(organisme.message.contains("CNAF") && organisme.message.contains("valeurs admises CAF, MSA"))
        #expect(organisme.path == "ligne 3/fonorg")

        let matricule = try #require(issue(issues, field: "matricule"))
        #expect(matricule.type == .missingCell)
        #expect(matricule.path == "ligne 3/matricule")
        #expect(matricule.message == "Valeur obligatoire absente dans la colonne « matricule ».")

        let state = try #require(issue(issues, field: "right.state"))
        #expect(state.type == .constraintError)
        #expect(state.message.contains("0, 1, 2, 3, 4, 5, 6"))

        let date = try #require(issue(issues, field: "rsaRequestDate"))
        #expect(date.type == .typeError)
        #expect(date.message.hasPrefix("Date invalide"))
        #expect(date.message.contains("format attendu JJ/MM/AAAA ou AAAA-MM-JJ"))

        let number = try #require(issue(issues, field: "rsaRequestNumber"))
        #expect(number.type == .constraintError)
        #expect(number.message.contains("11 au plus"))

        let homeless = try #require(issue(issues, field: "homeless"))
        #expect(homeless.type == .typeError)
        #expect(homeless.message.hasPrefix("Booléen invalide"))

        let commune = try #require(issue(issues, field: "address.commune"))
        #expect(commune.type == .typeError)
        #expect(commune.message.hasPrefix("numcom : "))

        // A household cannot be built from a bag whose mandatory fields failed.
        #expect(throws: IssueList.self) { try RecordBuilder.household(from: rows[1].bag).get() }
    }

    @Test(arguments: [
        ("O", true), ("o", true), ("oui", true), ("1", true), ("true", true), ("TRUE", true), ("Y", true),
        ("N", false), ("non", false), ("0", false), ("false", false), ("False", false), (" N ", false),
    ])
    func booleansAcceptTheUsualSpellings(_ raw: String, _ expected: Bool) throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(Self.header + "CAF;2418736;2;;;\(raw);;;;;\n", flow: flow)
        #expect(rows.first?.issues.isEmpty == true, "\(rows.first?.issues ?? [])")
        #expect(rows.first?.bag.bool("homeless") == expected)
    }

    @Test(arguments: ["peut-être", "2", "vrai", "-1"])
    func otherBooleansAreTypeErrors(_ raw: String) throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(Self.header + "CAF;2418736;2;;;\(raw);;;;;\n", flow: flow)
        let found = try #require(rows.first.flatMap { issue($0.issues, field: "homeless") })
        #expect(found.type == .typeError)
        #expect(found.message.contains("Booléen invalide « \(raw) » pour sdf"))
        #expect(rows.first?.bag["homeless"] == nil)
    }

    @Test(arguments: [
        ("12,50", "12.50"), ("12.50", "12.50"), ("-3", "-3"), ("+7", "+7"), (".5", ".5"), ("5.", "5."),
        ("0", "0"),
    ])
    func decimalsAreDigitsWithOneSeparator(_ raw: String, _ expected: String) {
        #expect(ValueConverter.decimalText(raw) == expected)
    }

    @Test(arguments: ["1e3", "1E3", "inf", "nan", "0x1A", "1,5,3", "1.5,3", "", "-", ",", "1 000", "--1", "1-"])
    func otherDecimalsAreRefused(_ raw: String) {
        #expect(ValueConverter.decimalText(raw) == nil)
    }

    @Test func declaredTrueAndFalseListsReplaceTheDefaults() throws {
        let flow = try MappingLoader.load(
            yaml: """
                flow: bool
                partner: test
                format: csv
                entity: household
                fields:
                  organisme: { path: fonorg, required: true }
                  matricule: { path: matricule, required: true }
                  right.state: { path: etat, required: true }
                  homeless: { path: sdf, true: [X], false: ["-"] }
                """)
        let rows = try mapCSV("fonorg;matricule;etat;sdf\nCAF;1;2;x\nCAF;1;2;-\nCAF;1;2;O\n", flow: flow)
        try #require(rows.count == 3)
        #expect(rows[0].bag.bool("homeless") == true)
        #expect(rows[1].bag.bool("homeless") == false)
        #expect(issue(rows[2].issues, field: "homeless")?.type == .typeError)
    }

    @Test func nullValuesAreAbsentAndARequiredNullIsMissing() throws {
        let flow = try MappingLoader.load(
            yaml: """
                flow: nulls
                partner: test
                format: csv
                entity: household
                fields:
                  organisme: { path: fonorg, required: true }
                  matricule: { path: matricule, required: true, null-values: ["0000000"] }
                  right.state: { path: etat, required: true }
                  rsaRequestDate: { path: dtdem, null-values: ["00/00/0000", "N/A"] }
                """)
        let rows = try mapCSV(
            "fonorg;matricule;etat;dtdem\nCAF;1234567;2;00/00/0000\nCAF; 0000000 ;2;N/A\n", flow: flow)
        try #require(rows.count == 2)
        #expect(rows[0].issues.isEmpty, "\(rows[0].issues)")
        #expect(rows[0].bag["rsaRequestDate"] == nil)
        // Null values are compared after the transforms (trim by default).
        let missing = try #require(issue(rows[1].issues, field: "matricule"))
        #expect(missing.type == .missingCell)
        #expect(missing.line == 3)
        #expect(rows[1].issues.count == 1)
    }

    @Test func aNIRInANonPersonalColumnIsMaskedInIssues() throws {
        // Shifted columns: a NIR where the state code should be must not be quoted back.
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(Self.header + "CAF;2418736;1840367482123;;;;;;;;\n", flow: flow)
        let found = try #require(rows.first.flatMap { issue($0.issues, field: "right.state") })
        #expect(found.type == .constraintError)
        #expect(!found.message.contains("1840367482123"), "\(found.message)")
        #expect(found.value?.contains("1840367482123") != true, "\(found.value ?? "")")
    }

    @Test func aCSVMappingDeclaringCollectionsIsRefused() {
        let yaml =
            EngineFixtures.csvMapping + "\n"
                + """
                collections:
                  people:
                    path: personnes
                    fields:
                      surname: { path: nom, required: true }
                      firstName: { path: prenom, required: true }
                      role: { path: role, required: true }
                """
        let error = #expect(throws: MappingError.self) { try MappingLoader.load(yaml: yaml) }
        #expect(error?.problems.contains { $0.contains("collections.people") && $0.contains("CSV") } == true)
    }
}

// MARK: - Generic engine: JSON

@Suite("MappingEngine : JSON")
struct MappingEngineJSONTests {
    static let json = """
        {"emetteur": "test", "foyers": [
          {"organisme": " caf ", "dossier": {"matricule": "241873600000000", "date": "2024-02-14"}, "etat": 2,
           "sdf": false,
           "personnes": [
             {"nom": "  BŒUF   DE  LA   TOUR ", "prenom": "François", "role": "dem", "naissance": "1984-03-12",
              "nir": "1840367482123", "sexe": 1, "rsa": {"soumis": true}},
             {"nom": "BŒUF", "prenom": "Noël", "role": "ENF", "naissance": "2015-12-25", "nir": null, "sexe": "1"}
           ]},
          {"organisme": "MSA", "dossier": {"matricule": "8800412"}, "etat": "9", "personnes": []},
          {"organisme": "MSA", "dossier": {"matricule": "8800093"}, "etat": "4", "sdf": "oui",
           "personnes": [
             {"nom": "ORSONI", "prenom": "Ange", "role": "DEM", "naissance": "1978-02-30", "nir": "18404674821239"},
             {"nom": "ORSONI", "prenom": "Marie", "role": "CJT", "nir": "284036748212399"},
             {"prenom": "Paul", "role": "ENF"},
             {"nom": "ORSONI", "prenom": "Lina", "role": "ENF"}
           ]}
        ]}
        """

    @Test func aJSONRecordWithACollectionIsMapped() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.jsonMapping)
        let records = try mapJSON(Self.json, flow: flow)
        try #require(records.count == 3)
        let (bag, issues) = records[0]
        #expect(issues.isEmpty, "\(issues)")
        #expect(bag.line == 2)
        #expect(bag.text("organisme") == "CAF")
        #expect(bag.text("matricule") == "2418736")
        #expect(bag.text("right.state") == "2")
        #expect(bag.bool("homeless") == false)
        #expect(bag.date("rsaRequestDate") == LocalDate(year: 2024, month: 2, day: 14))
        let people = try #require(bag.collections["people"])
        try #require(people.count == 2)
        #expect(people[0].path == "foyers[1]/personnes[1]")
        #expect(people[0].text("surname") == "BŒUF DE LA TOUR")
        #expect(people[0].text("firstName") == "François")
        #expect(people[0].text("role") == "DEM")
        #expect(people[0].date("birthDate") == LocalDate(year: 1984, month: 3, day: 12))
        #expect(people[0].text("nir") == "1840367482123")
        #expect(people[0].integer("sex") == 1)
        #expect(people[0].bool("soumisDroitsDevoirs") == true)
        #expect(people[1].path == "foyers[1]/personnes[2]")
        #expect(people[1]["nir"] == nil, "null est absent")
        #expect(people[1].integer("sex") == 1)

        let household = try RecordBuilder.household(from: bag).get()
        #expect(household.people.map(\.role) == [.applicant, .child])
        #expect(household.people[0].nir?.base13 == "1840367482123")
        #expect(household.people[1].nir == nil)
        #expect(household.key == HouseholdKey(organisme: .caf, matricule: try Matricule(validating: "2418736")))
    }

    @Test func collectionBoundsAndBadValuesAreReported() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.jsonMapping)
        let records = try mapJSON(Self.json, flow: flow)
        try #require(records.count == 3)

        let empty = records[1].issues
        let state = try #require(issue(empty, field: "right.state"))
        #expect(state.type == .constraintError)
        let none = try #require(issue(empty, field: "people"))
        #expect(none.type == .missingCell)
        #expect(none.path == "foyers[2]/personnes")
        #expect(none.message.contains("Au moins 1"))

        let crowded = records[2].issues
        let tooMany = try #require(issue(crowded, field: "people"))
        #expect(tooMany.type == .structureError)
        #expect(tooMany.message.contains("Au plus 3"))
        #expect(records[2].bag.bool("homeless") == true)

        let surname = try #require(issue(crowded, field: "surname"))
        #expect(surname.type == .missingCell)
        #expect(surname.path == "foyers[3]/personnes[3]/nom")
        #expect(surname.line == records[2].bag.line)
        #expect(surname.message == "Élément obligatoire absent ou vide : nom.")
    }

    @Test func personalValuesAreMaskedInIssues() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.jsonMapping)
        let records = try mapJSON(Self.json, flow: flow)
        try #require(records.count == 3)
        let issues = records[2].issues
        let personal = ["18404674821239", "284036748212399", "1978-02-30", "1840467482123", "2840367482123"]
        for found in issues {
            for value in personal {
                #expect(!found.message.contains(value), "\(found.message)")
                #expect(found.value?.contains(value) != true, "\(found.value ?? "")")
            }
        }
        // A 14-character NIR: length error, masked value keeping the sex and year only.
        let nirs = issues.filter { $0.field == "nir" }
        try #require(nirs.count == 2, "\(issues.map(\.message))")
        #expect(nirs[0].type == .typeError)
        #expect(nirs[0].value == "184***********")
        #expect(nirs[0].path == "foyers[3]/personnes[1]/nir")
        // A 15-character NIR with a wrong key.
        #expect(nirs[1].type == .constraintError)
        #expect(nirs[1].value?.hasPrefix("284") == true)
        #expect(nirs[1].value?.count == 15)
        // An impossible birth date is masked entirely.
        let birth = try #require(issue(issues, field: "birthDate"))
        #expect(birth.type == .typeError)
        #expect(birth.value == "***")
        #expect(birth.message.contains("format attendu AAAA-MM-JJ"))
    }

    @Test func datesAcceptTheDeclaredFormatsOnly() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.jsonMapping)
        let text = """
            {"foyers": [
              {"organisme": "CAF", "dossier": {"matricule": "1", "date": "14/02/2024"}, "etat": "2",
               "personnes": [{"nom": "A", "prenom": "B", "role": "DEM", "naissance": "2024-02-14T00:00:00+01:00"}]}
            ]}
            """
        let records = try mapJSON(text, flow: flow)
        let date = try #require(records.first.flatMap { issue($0.issues, field: "rsaRequestDate") })
        #expect(date.type == .typeError)
        #expect(date.value == "14/02/2024", "non personnel : la valeur est citée")
        #expect(date.message.contains("format attendu AAAA-MM-JJ"))
        // A time after an ISO date is tolerated.
        let person = try #require(records.first?.bag.collections["people"]?.first)
        #expect(person.date("birthDate") == LocalDate(year: 2024, month: 2, day: 14))
    }
}

// MARK: - Generic engine: XML paths

@Suite("MappingEngine : XML")
struct MappingEngineXMLTests {
    static let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Racine>
          <Foyer>
            <Org><FONORG>CAF</FONORG><MATRICULE>0712345</MATRICULE></Org>
            <Etat>4</Etat>
            <Suspension><MOTIF>01</MOTIF><DATE>2026-07-01</DATE></Suspension>
            <Suspension><MOTIF>44</MOTIF><DATE>2026-10-01</DATE></Suspension>
            <Personne>
              <NOM>HAEGEL</NOM>
              <PRENOM>Loïc</PRENOM>
              <Prestations><NATPREST>PFA</NATPREST><ROLEPERS>ENF</ROLEPERS></Prestations>
              <Prestations><NATPREST>RSA</NATPREST><ROLEPERS>DEM</ROLEPERS></Prestations>
            </Personne>
            <Personne>
              <NOM>HAEGEL</NOM>
              <PRENOM>Théo</PRENOM>
              <Prestations><NATPREST>PFA</NATPREST><ROLEPERS>ENF</ROLEPERS></Prestations>
            </Personne>
          </Foyer>
        </Racine>

        """

    @Test func pickLastPathFiltersAndMissingRequiredElements() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.xmlMapping)
        let file = try EngineScratchFile(Self.document)
        let mapped = try mapXML(file.path, flow: flow)
        try #require(mapped.records.count == 1)
        let (bag, issues) = mapped.records[0]
        #expect(bag.line == 3)
        #expect(bag.text("matricule") == "712345")
        // pick: last takes the last repetition, the default the first.
        #expect(bag.text("right.paymentSuspension.motive") == "44")
        #expect(bag.date("right.paymentSuspension.date") == LocalDate(year: 2026, month: 10, day: 1))
        #expect(bag.origins["right.paymentSuspension.motive"]?.line == 7)
        #expect(bag.text("right.rightSuspension.motive") == "01")
        #expect(bag.date("right.rightSuspension.date") == LocalDate(year: 2026, month: 7, day: 1))
        #expect(bag.origins["right.rightSuspension.motive"]?.line == 6)

        let people = try #require(bag.collections["people"])
        try #require(people.count == 2)
        // The role is the one on the RSA benefit, not the first Prestations.
        #expect(people[0].text("role") == "DEM")
        #expect(people[0].origins["role"]?.line == 12)
        #expect(people[0].text("firstName") == "Loïc")
        #expect(people[1]["role"] == nil)

        try #require(issues.count == 1, "\(issues)")
        let missing = issues[0]
        #expect(missing.type == .missingCell)
        #expect(missing.field == "role")
        #expect(missing.line == 14)
        #expect(missing.path == "Foyer[1]/Personne[2]/Prestations[NATPREST=RSA]/ROLEPERS")
        #expect(missing.message == "Élément obligatoire absent ou vide : Prestations[NATPREST=RSA]/ROLEPERS.")
    }

    @Test func anElementWithChildrenIsNotALeafValue() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.xmlMapping)
        let file = try EngineScratchFile(
            """
            <?xml version="1.0"?>
            <Racine>
              <Foyer>
                <Org><FONORG>CAF</FONORG><MATRICULE><X>1</X></MATRICULE></Org>
                <Etat>2</Etat>
              </Foyer>
            </Racine>

            """)
        let mapped = try mapXML(file.path, flow: flow)
        let found = try #require(mapped.records.first.flatMap { issue($0.issues, field: "matricule") })
        #expect(found.type == .missingCell)
        #expect(found.line == 4)
    }
}

// MARK: - Transforms

@Suite("MappingEngine : transformations")
struct MappingEngineTransformTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var transforms: [Transform]
        var input: String
        var expected: String
        var testDescription: String { "\(transforms.map(\.rawValue)) « \(input) »" }
    }

    @Test(arguments: [
        Case(transforms: [.trim], input: "  Dupont \t\n", expected: "Dupont"),
        Case(transforms: [.trim], input: "Dupont", expected: "Dupont"),
        Case(transforms: [.trim], input: "   ", expected: ""),
        Case(transforms: [.trim], input: "\u{00A0}Dupont\u{00A0}", expected: "Dupont"),
        Case(transforms: [.trim], input: "\u{00A0}Dupont", expected: "Dupont"),
        Case(transforms: [.trim], input: "Dupont\u{202F}", expected: "Dupont"),
        Case(transforms: [.upper], input: "hélène de l'œuf", expected: "HÉLÈNE DE L'ŒUF"),
        Case(transforms: [.lower], input: "ÉCOLE", expected: "école"),
        Case(transforms: [.collapseSpaces], input: "  Jean   Pierre \t Paul ", expected: "Jean Pierre Paul"),
        Case(transforms: [.digitsOnly], input: "N° 12 34-56 A", expected: "123456"),
        Case(transforms: [.digitsOnly], input: "12²3½4", expected: "1234"),
        Case(transforms: [.stripLeadingZeros], input: "000123", expected: "123"),
        Case(transforms: [.stripLeadingZeros], input: "0000", expected: "0"),
        Case(transforms: [.stripLeadingZeros], input: "", expected: ""),
        Case(transforms: [.stripLeadingZeros], input: "1200", expected: "1200"),
        Case(transforms: [.trim, .stripLeadingZeros], input: " 0712345 ", expected: "712345"),
        Case(transforms: [.trim, .upper, .collapseSpaces], input: " sélestat   centre ", expected: "SÉLESTAT CENTRE"),
    ])
    func transformsApplyInOrder(_ sample: Case) {
        #expect(ValueConverter.apply(sample.transforms, to: sample.input) == sample.expected)
    }

    @Test func transformsRunThroughTheEngine() throws {
        let flow = try MappingLoader.load(yaml: EngineFixtures.csvMapping)
        let rows = try mapCSV(
            MappingEngineCSVTests.header + "\u{00A0}caf;00 0712 345;2;;;;000671;;  la   petite  pierre ;;\n", flow: flow
        )
        let row = try #require(rows.first)
        #expect(row.bag.text("organisme") == "CAF", "\(row.issues.map(\.message))")
        #expect(row.bag.text("matricule") == "712345")
        #expect(row.bag.text("organismeNumber") == "671")
        #expect(row.bag.text("address.communeName") == "LA PETITE PIERRE")
    }

    @Test func codesMapSourceValuesAndRefuseOthersNamingTheAllowedOnes() throws {
        let flow = try MappingLoader.load(
            yaml: """
                flow: codes
                partner: test
                format: csv
                entity: household
                fields:
                  organisme: { path: fonorg, required: true, codes: { "01": CAF, "02": MSA } }
                  matricule: { path: matricule, required: true }
                  right.state: { path: etat, required: true, codes: { OUVERT: "2", CLOS: "5" } }
                """)
        let rows = try mapCSV(
            "fonorg;matricule;etat\n01;1;ouvert\n02;1;CLOS\n03;1;SUSPENDU\n", flow: flow)
        try #require(rows.count == 3)
        #expect(rows[0].bag.text("organisme") == "CAF")
        #expect(rows[0].bag.text("right.state") == "2", "code comparé aussi en majuscules")
        #expect(rows[1].bag.text("organisme") == "MSA")
        #expect(rows[1].bag.text("right.state") == "5")
        let organisme = try #require(issue(rows[2].issues, field: "organisme"))
        #expect(organisme.type == .constraintError)
        #expect(organisme.message == "Valeur « 03 » inconnue pour fonorg : valeurs admises 01, 02.")
        #expect(organisme.value == "03")
        let state = try #require(issue(rows[2].issues, field: "right.state"))
        #expect(state.message.contains("valeurs admises CLOS, OUVERT"))
    }
}

// MARK: - The real CNAF mapping on the samples

@Suite("MappingEngine : flux CNAF réels")
struct MappingEngineCNAFSampleTests {
    struct Mapped {
        var households: [Household]
        var header: FluxHeader
        var issues: [ValidationIssue]

        func household(_ matricule: String) -> Household? {
            households.first { $0.matricule.canonical == matricule }
        }
    }

    static func map(_ sample: String) throws -> Mapped {
        let mapped = try mapXML(EngineFixtures.sample(sample), flow: try EngineFixtures.cnafFlow())
        var households: [Household] = []
        var issues = mapped.headerIssues
        for (bag, recordIssues) in mapped.records {
            issues += recordIssues
            switch RecordBuilder.household(from: bag) {
            case .success(let household): households.append(household)
            case .failure(let list): issues += list.issues
            }
        }
        return Mapped(households: households, header: RecordBuilder.fluxHeader(from: mapped.header), issues: issues)
    }

    @Test(arguments: [("caf-67-2026-09.xml", 12), ("caf-67-2026-10.xml", 12), ("msa-67-2026-09.xml", 3)])
    func everyGoodSampleMapsWithoutIssue(_ sample: String, _ count: Int) throws {
        let mapped = try Self.map(sample)
        #expect(mapped.issues.isEmpty, "\(mapped.issues.prefix(5).map { "\($0.path ?? "") \($0.message)" })")
        #expect(mapped.households.count == count)
        #expect(mapped.header.declaredCount == count)
        #expect(mapped.header.kind == "M")
        #expect(mapped.header.nature == "D")
        #expect(mapped.households.allSatisfy { $0.partnerDepartement == "067" })
    }

    @Test func theSeptemberCAFFileMatchesItsREADME() throws {
        let mapped = try Self.map("caf-67-2026-09.xml")
        #expect(mapped.header.application == "CRI")
        #expect(mapped.header.referenceDate == LocalDate(year: 2026, month: 9, day: 30))
        #expect(mapped.households.allSatisfy { $0.organisme == .caf && $0.organismeNumber == "671" })

        // Matricules: right-padded ones lose their zeros, leading zeros are stripped.
        let matricules = mapped.households.map(\.matricule.canonical)
        #expect(
            Set(matricules) == [
                "2418736", "3107452", "1984552", "712345", "4418203", "2755301", "5023318", "1620047", "3991207",
                "2260914", "6104488", "8801152",
            ])
        #expect(mapped.household("2418736")?.rsaRequestNumber == "67124000318")
        #expect(mapped.household("712345")?.rsaRequestNumber == "67122000517")

        // Every state 0–6 occurs.
        let states: [String: RightState] = [
            "6104488": .awaitingDecision, "5023318": .refused, "2418736": .openPaid, "3107452": .openPaid,
            "1984552": .openPaid, "712345": .openPaid, "2755301": .openPaid, "8801152": .openPaid,
            "1620047": .openRightSuspended, "4418203": .openPaymentSuspended, "3991207": .closed,
            "2260914": .closedEarlierMonth,
        ]
        for (matricule, state) in states {
            #expect(mapped.household(matricule)?.right.state == state, "\(matricule)")
        }
        #expect(
            mapped.household("4418203")?.right.paymentSuspension
                == DatedMotive(motive: "70", date: LocalDate(iso: "2026-08-01")))
        #expect(
            mapped.household("1620047")?.right.rightSuspension
                == DatedMotive(motive: "GK", date: LocalDate(iso: "2026-07-01")))
        #expect(
            mapped.household("3991207")?.right.closure == DatedMotive(motive: "RFD", date: LocalDate(iso: "2026-09-30"))
        )
        #expect(
            mapped.household("2260914")?.right.earlierMonthClosure
                == DatedMotive(motive: "ECH", date: LocalDate(iso: "2026-06-30")))
        #expect(
            mapped.household("5023318")?.right.refusal == DatedMotive(motive: "F04", date: LocalDate(iso: "2026-09-18"))
        )

        // Only L is homeless.
        #expect(mapped.households.filter(\.homeless).map(\.matricule.canonical) == ["6104488"])

        // A: four people, names decoded from Windows-1252, roles from the RSA Prestations.
        let a = try #require(mapped.household("2418736"))
        #expect(a.people.map(\.role) == [.applicant, .spouse, .child, .child])
        #expect(a.people[0].surname == "BŒUF")
        #expect(a.people[0].firstName == "François")
        #expect(a.people[0].civility == .monsieur)
        #expect(a.people[0].birthDate == LocalDate(year: 1984, month: 3, day: 12))
        #expect(a.people[0].franceTravailID?.canonical == "0457812K")
        #expect(a.people[0].soumisDroitsDevoirs == true)
        #expect(a.people[1].firstName == "Hélène")
        #expect(a.people[3].firstName == "Noël")
        #expect(a.people[3].nir == nil, "Noël n'a pas de NIR")
        #expect(a.address?.commune?.canonical == "67482")
        #expect(a.events.map(\.code) == ["SITPRO"])

        // M's applicant was born in Ajaccio: the NIR keeps 2A.
        let m = try #require(mapped.household("8801152"))
        let corsican = try #require(m.people.first { $0.role == .applicant }?.nir)
        #expect(corsican.canonical == "177092A004052")
        #expect(Array(corsican.canonical)[5...6] == ["2", "A"])
        #expect(m.events.map(\.code) == ["ADR"])

        // H's applicant was born abroad (99350).
        let h = try #require(mapped.household("5023318"))
        #expect(h.people.first?.nir?.canonical.dropFirst(5).prefix(5) == "99350")
        #expect(h.people.first?.soumisDroitsDevoirs == nil)

        // TOPPERSDRODEVORSA 0 on J and K.
        #expect(mapped.household("3991207")?.people.first?.soumisDroitsDevoirs == false)
        #expect(mapped.household("2260914")?.people.first?.soumisDroitsDevoirs == false)
    }

    @Test func theOctoberCAFFileMatchesItsREADME() throws {
        let mapped = try Self.map("caf-67-2026-10.xml")
        #expect(mapped.header.referenceDate == LocalDate(year: 2026, month: 10, day: 31))
        #expect(mapped.household("3991207") == nil, "J est absent d'octobre")
        let f = try #require(mapped.household("7350026"), "F est nouveau en octobre")
        #expect(f.right.state == .awaitingDecision)
        #expect(f.rsaRequestDate == LocalDate(year: 2026, month: 10, day: 12))
        let a = try #require(mapped.household("2418736"))
        #expect(a.right.state == .openPaymentSuspended)
        #expect(a.right.paymentSuspension == DatedMotive(motive: "44", date: LocalDate(year: 2026, month: 10, day: 1)))
        #expect(Set(a.events.map(\.code)) == ["SITPRO", "HOSPLA"])
        let b = try #require(mapped.household("3107452"))
        #expect(b.right.closure == DatedMotive(motive: "PCG", date: LocalDate(year: 2026, month: 10, day: 31)))
        let c = try #require(mapped.household("1984552"))
        #expect(c.address?.commune?.canonical == "57463")
        #expect(c.right.closure?.motive == "MUT")
        #expect(mapped.household("712345")?.people.count == 2)
        #expect(mapped.household("4418203")?.right.state == .openPaid)
    }

    @Test func theMSAFileMatchesItsREADME() throws {
        let mapped = try Self.map("msa-67-2026-09.xml")
        #expect(mapped.header.application == "AGO")
        #expect(mapped.households.allSatisfy { $0.organisme == .msa && $0.organismeNumber == "670" })
        #expect(Set(mapped.households.map(\.matricule.canonical)) == ["8800412", "8801977", "8800093"])
        #expect(mapped.households.flatMap(\.people).allSatisfy { $0.nir == nil || $0.nir?.canonical.count == 15 })
        let mc = try #require(mapped.household("8800093"))
        #expect(mc.people.first?.nir?.canonical == "178042B03301239")
        #expect(mc.right.paymentSuspension?.motive == "01")
        #expect(mapped.household("8801977")?.right.state == .awaitingDecision)
        #expect(mapped.household("8800412")?.people.map(\.firstName) == ["Jean-Noël", "Céline", "Léa"])
    }

    @Test func aWrongNIRKeyIsFlaggedOnItsHouseholdAndMasked() throws {
        let mapped = try mapXML(EngineFixtures.sample("bad/wrong-nir-key.xml"), flow: try EngineFixtures.cnafFlow())
        try #require(mapped.records.count == 3)
        #expect(mapped.records[0].issues.isEmpty)
        #expect(mapped.records[2].issues.isEmpty)
        let found = try #require(issue(mapped.records[1].issues, field: "nir"))
        #expect(found.type == .constraintError)
        #expect(found.path == "InfosFoyerRSA[2]/Personne[1]/Identification/NIR")
        #expect(found.line == 210)
        #expect(!found.message.contains("287066811207774"))
        #expect(!found.message.contains("2870668112077"))
        #expect(found.value?.contains("2870668112077") == false)
    }
}
