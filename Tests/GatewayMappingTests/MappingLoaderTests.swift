import Foundation
import GatewayCore
import Testing

@testable import GatewayMapping

/// The repository's mapping directory, found from this file's location.
private enum LoaderFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var mappings: String { repositoryRoot.appendingPathComponent("Mappings").path }
    static var cnafMapping: String {
        repositoryRoot.appendingPathComponent("Mappings/caf-msa-beneficiaires-vrsb0801.yaml").path
    }
}

/// A temporary directory removed with its content when released.
private final class LoaderScratch {
    let directory: String

    init() throws {
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "mapping-loader-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// The problems a mapping is refused with; a test failure when it loads.
private func loadingProblems(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    do {
        _ = try MappingLoader.load(yaml: yaml)
        Issue.record("le mapping aurait dû être refusé", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems
    }
}

@Suite("MappingLoader")
struct MappingLoaderTests {
    @Test func oneFlowLoadsAloneWithAllItsVariants() throws {
        let all = try MappingLoader.loadAll(directory: LoaderFixtures.mappings)
        for id in ["ft-inscriptions", "caf-beneficiaires", "operator-followup"] {
            let alone = try MappingLoader.loadAll(directory: LoaderFixtures.mappings, only: id)
            #expect(Array(alone.keys) == [id])
            let flow = try #require(alone[id])
            let expected = try #require(all[id])
            #expect(flow.variants.map(\.variant) == expected.variants.map(\.variant))
            #expect(flow.sourceFile == expected.sourceFile)
        }
        #expect(try MappingLoader.loadAll(directory: LoaderFixtures.mappings, only: "no-such-flow").isEmpty)
    }

    @Test func aFileIsAFlowMappingByItsTopLevelFlowAndBrokenYAMLIsReported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The flow written quoted, after a comment, with a comment after it.
        let mapping = try String(
            contentsOfFile: LoaderFixtures.mappings + "/ft-inscriptions-csv.yaml", encoding: .utf8)
        let quoted = mapping.replacingOccurrences(
            of: "\nflow: ft-inscriptions", with: "\n# c\nflow: \"ft-inscriptions\"  # the flow")
        #expect(quoted != mapping)
        try quoted.write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "meta:\n  flow: ft-inscriptions\n".write(
            to: folder.appendingPathComponent("nested.yaml"), atomically: true, encoding: .utf8)
        try "- flow: ft-inscriptions\n".write(
            to: folder.appendingPathComponent("list.yaml"), atomically: true, encoding: .utf8)
        try "flow: [unclosed\n".write(
            to: folder.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let alone = try MappingLoader.loadAll(directory: folder.path, only: "ft-inscriptions")
        #expect(Array(alone.keys) == ["ft-inscriptions"])
        #expect(alone["ft-inscriptions"]?.sourceFile?.hasSuffix("a.yaml") == true)
        let error = #expect(throws: MappingError.self) { try MappingLoader.loadAll(directory: folder.path) }
        #expect(error?.problems.count == 1, "\(error?.problems ?? [])")
        #expect(error?.problems.first?.hasPrefix("broken.yaml : YAML illisible") == true)
    }

    @Test func theCNAFMappingLoadsFromTheMappingsDirectory() throws {
        let flows = try MappingLoader.loadAll(directory: LoaderFixtures.mappings)
        let flow = try #require(flows["caf-beneficiaires"])
        #expect(flow.partner == "caf-msa")
        #expect(flow.format == .xml)
        #expect(flow.version == "VRSB0801")
        #expect(flow.recordElement == "InfosFoyerRSA")
        #expect(flow.encoding == nil, "« declared » : l'encodage déclaré par le fichier fait foi")
        #expect(flow.reconcileCount)
        #expect(flow.sourceFile?.hasSuffix("caf-msa-beneficiaires-vrsb0801.yaml") == true)
        #expect(flow.record.entity.name == "household")

        let fields = Dictionary(uniqueKeysWithValues: flow.record.fields.map { ($0.spec.name, $0) })
        for mandatory in ["organisme", "matricule", "right.state"] {
            #expect(fields[mandatory]?.required == true, "\(mandatory)")
        }
        #expect(fields["organisme"]?.codes == ["CAF": "CAF", "MSA": "MSA"])
        #expect(fields["organisme"]?.transforms == [.trim, .upper])
        #expect(fields["matricule"]?.source.description == "IdentificationRSA/Organisme/MATRICULE")
        #expect(fields["matricule"]?.transforms == [.trim])
        #expect(fields["right.paymentSuspension.motive"]?.occurrence == .last)
        #expect(fields["right.closure.motive"]?.occurrence == .first)
        #expect(fields["rsaRequestDate"]?.dateFormats == [.iso])

        let collections = Dictionary(uniqueKeysWithValues: flow.record.collections.map { ($0.name, $0) })
        #expect(Set(collections.keys) == ["people", "events", "anomalies"])
        let people = try #require(collections["people"])
        #expect(people.min == 1)
        #expect(people.max == nil)
        let role = try #require(people.record.fields.first { $0.spec.name == "role" })
        #expect(role.source.steps.count == 2)
        #expect(role.source.steps[0].name == "Prestations")
        #expect(role.source.steps[0].filter?.child == "NATPREST")
        #expect(role.source.steps[0].filter?.value == "RSA")
        #expect(role.source.steps[1] == PathStep(name: "ROLEPERS", filter: nil))
        let civility = try #require(people.record.fields.first { $0.spec.name == "civility" })
        #expect(civility.codes?["M"] == "MR")

        let file = try #require(flow.file)
        #expect(file.entity.name == "flux-header")
        #expect(file.fields.contains { $0.spec.name == "declaredCount" && $0.required })
        #expect(file.fields.contains { $0.spec.name == "referenceDate" && $0.required })
    }

    @Test func theCNAFMappingLoadsFromItsText() throws {
        let text = try String(contentsOfFile: LoaderFixtures.cnafMapping, encoding: .utf8)
        let flow = try MappingLoader.load(yaml: text, sourceFile: LoaderFixtures.cnafMapping)
        #expect(flow.id == "caf-beneficiaires")
        #expect(flow.title == "Flux bénéficiaires RSA CNAF (CAF, MSA)")
        #expect(flow.record.fields.count == 36)
    }

    /// Values written in a mapping are text even when they look like numbers with decimals or dates: a null value
    /// `1.10` stays `1.10` (not 1.1), `2026-09-30` stays itself (not a date printed with its time).
    @Test func decimalAndDateLookingScalarsStayText() throws {
        let path = LoaderFixtures.repositoryRoot.appendingPathComponent("Mappings/ft-inscriptions-csv.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = "person.birthDate: { path: dtnai }"
        #expect(text.contains(original))
        let flow = try MappingLoader.load(
            yaml: text.replacingOccurrences(
                of: original, with: "person.birthDate: { path: dtnai, null-values: [1.10, 2026-09-30, 00.00] }"))
        let birthDate = try #require(flow.record.fields.first { $0.spec.name == "person.birthDate" })
        #expect(birthDate.nullValues == ["1.10", "2026-09-30", "00.00"])
    }

    @Test func aBrokenMappingListsEveryProblemAtOnce() {
        let problems = loadingProblems(
            """
            flow: casse
            partner: test
            format: csv
            entity: household
            fields:
              organisme: { path: fonorg, required: true }
              matricule: { path: matricule }
              couleurDesYeux: { path: yeux }
              homeless: { path: sdf, transforms: [trim, crier] }
              rsaRequestDate: { path: dtdem, format: dd.MM.yyyy }
              organismeNumber: { path: numorg, requis: true }
              address.commune: { path: Adresse/NUMCOM }
            """)
        func expectProblem(naming field: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation)
        {
            #expect(
                problems.contains { $0.contains(field) && $0.contains(fragment) },
                "aucun problème ne nomme « \(field) » avec « \(fragment) » : \(problems)",
                sourceLocation: sourceLocation)
        }
        // Unknown canonical field.
        expectProblem(naming: "fields.couleurDesYeux", "champ inconnu")
        // Unknown transform, named with the field and the known ones.
        expectProblem(naming: "fields.homeless", "crier")
        expectProblem(naming: "fields.homeless", "collapse-spaces")
        // Mandatory field not mapped at all, and mapped without `required: true`.
        expectProblem(naming: "right.state", "n'est pas mappé")
        expectProblem(naming: "fields.matricule", "required: true")
        // Bad date format.
        expectProblem(naming: "fields.rsaRequestDate", "dd.MM.yyyy")
        // Unknown key in a field.
        expectProblem(naming: "fields.organismeNumber", "requis")
        // A CSV column is one name, never a path.
        expectProblem(naming: "fields.address.commune", "CSV")
        #expect(problems.count == 7, "\(problems)")
        #expect(!problems.contains { $0.contains("fields.organisme ") })
    }

    @Test func anUnknownEntityIsListedWithTheOtherTopLevelProblems() {
        let problems = loadingProblems(
            """
            flow: casse
            format: xls
            entity: menage
            defaults:
              date-format: MM/dd/yy
            file:
              fields:
                inconnu: { path: Entete/X }
                referenceDate: { path: Entete/DTREF, format: yyyy/MM/dd }
            """)
        #expect(problems.contains { $0.contains("menage") && $0.contains("inconnue") }, "\(problems)")
        #expect(problems.contains { $0.contains("partner") }, "\(problems)")
        #expect(problems.contains { $0.contains("xls") }, "\(problems)")
        #expect(problems.contains { $0.contains("defaults") && $0.contains("MM/dd/yy") }, "\(problems)")
        #expect(problems.contains { $0.contains("file.fields.inconnu") }, "\(problems)")
        #expect(problems.contains { $0.contains("file.fields.referenceDate") && $0.contains("yyyy/MM/dd") })
    }

    @Test func collectionProblemsNameTheirCollection() {
        let problems = loadingProblems(
            """
            flow: casse
            partner: test
            format: xml
            entity: household
            xml: { record: Foyer }
            fields:
              organisme: { path: ORG, required: true }
              matricule: { path: MAT, required: true }
              right.state: { path: ETAT, required: true }
            collections:
              animaux:
                path: Animal
              people:
                path: Personne
                fields:
                  surname: { path: NOM, required: true }
                  firstName: { path: PRENOM, required: true }
                  nir: { path: NIR, transforms: [majuscules] }
            """)
        #expect(problems.contains { $0.contains("collections.animaux") && $0.contains("inconnue") }, "\(problems)")
        #expect(
            problems.contains { $0.contains("collections.people.fields") && $0.contains("role") }, "\(problems)")
        #expect(
            problems.contains { $0.contains("collections.people.fields.nir") && $0.contains("majuscules") },
            "\(problems)")
        #expect(problems.count == 3, "\(problems)")
    }

    @Test func aCSVMappingCannotDeclareCollections() {
        let problems = loadingProblems(
            """
            flow: csv-imbrique
            partner: test
            format: csv
            entity: household
            fields:
              organisme: { path: fonorg, required: true }
              matricule: { path: matricule, required: true }
              right.state: { path: etat, required: true }
            collections:
              people:
                path: personnes
                fields:
                  surname: { path: nom, required: true }
                  firstName: { path: prenom, required: true }
                  role: { path: role, required: true }
            """)
        #expect(
            problems.contains { $0.contains("collections.people") && $0.contains("CSV") }, "\(problems)")
    }

    @Test func anXMLMappingNeedsItsRecordElementAndReconcileNeedsADeclaredCount() {
        let problems = loadingProblems(
            """
            flow: sans-record
            partner: test
            format: xml
            entity: household
            reconcile: { count: true }
            fields:
              organisme: { path: ORG, required: true }
              matricule: { path: MAT, required: true }
              right.state: { path: ETAT, required: true }
            """)
        #expect(problems.contains { $0.contains("xml.record") }, "\(problems)")
        #expect(problems.contains { $0.contains("declaredCount") }, "\(problems)")
    }

    @Test func aCodeTableMustTargetAllowedCanonicalValues() {
        let problems = loadingProblems(
            """
            flow: codes
            partner: test
            format: csv
            entity: household
            fields:
              organisme: { path: fonorg, required: true, codes: { C: CAF, X: CNAF } }
              matricule: { path: matricule, required: true }
              right.state: { path: etat, required: true }
            """)
        #expect(problems.contains { $0.contains("fields.organisme") && $0.contains("CNAF") }, "\(problems)")
    }

    @Test func anUnknownPickValueIsReported() {
        let problems = loadingProblems(
            """
            flow: pick
            partner: test
            format: xml
            entity: household
            xml: { record: Foyer }
            fields:
              organisme: { path: ORG, required: true }
              matricule: { path: MAT, required: true }
              right.state: { path: ETAT, required: true }
              right.closure.motive: { path: Fin/MOTIF, pick: dernier }
            """)
        #expect(
            problems.contains { $0.contains("fields.right.closure.motive") && $0.contains("dernier") }, "\(problems)")
    }

    @Test func anUnknownKeyInACollectionIsReported() {
        // `minimum` instead of `min` would silently let a household through without any person.
        let problems = loadingProblems(
            """
            flow: collection
            partner: test
            format: xml
            entity: household
            xml: { record: Foyer }
            fields:
              organisme: { path: ORG, required: true }
              matricule: { path: MAT, required: true }
              right.state: { path: ETAT, required: true }
            collections:
              people:
                path: Personne
                minimum: 1
                fields:
                  surname: { path: NOM, required: true }
                  firstName: { path: PRENOM, required: true }
                  role: { path: ROLE, required: true }
            """)
        #expect(problems.contains { $0.contains("collections.people") && $0.contains("minimum") }, "\(problems)")
    }

    @Test func loadAllReportsTwoFilesDeclaringTheSameFlow() throws {
        let scratch = try LoaderScratch()
        let mapping = { (title: String) in
            """
            flow: doublon
            partner: test
            title: \(title)
            format: csv
            entity: household
            fields:
              organisme: { path: fonorg, required: true }
              matricule: { path: matricule, required: true }
              right.state: { path: etat, required: true }

            """
        }
        try scratch.write("a-premier.yaml", mapping("Premier"))
        try scratch.write("b-second.yml", mapping("Second"))
        // Not a flow mapping (no `flow:` key): ignored.
        try scratch.write("programme.yaml", "programme: accompagnement\n")
        let error = try #require(throws: MappingError.self) {
            _ = try MappingLoader.loadAll(directory: scratch.directory)
        }
        #expect(
            error.problems.contains { $0.contains("b-second.yml") && $0.contains("doublon") && $0.contains("déjà") },
            "\(error.problems)")
        #expect(error.problems.count == 1, "\(error.problems)")
    }

    @Test func loadAllPrefixesEachProblemWithItsFile() throws {
        let scratch = try LoaderScratch()
        try scratch.write(
            "casse.yaml",
            """
            flow: casse
            partner: test
            format: csv
            entity: household
            fields:
              organisme: { path: fonorg, required: true }
              matricule: { path: matricule, required: true }

            """)
        let error = try #require(throws: MappingError.self) {
            _ = try MappingLoader.loadAll(directory: scratch.directory)
        }
        #expect(error.problems.allSatisfy { $0.hasPrefix("casse.yaml : ") }, "\(error.problems)")
        #expect(error.problems.contains { $0.contains("right.state") })
    }

    @Test func unreadableYAMLIsAProblemNotACrash() {
        let problems = loadingProblems("flow: [non fermé\n")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("YAML illisible") == true)
        #expect(loadingProblems("- une\n- liste\n") == ["le document doit être un objet YAML"])
    }

    @Test func sourcePathsParseFiltersAndRefuseEmptySteps() throws {
        let path = try SourcePath(parsing: "Personne/Prestations[NATPREST=RSA]/ROLEPERS")
        #expect(path.steps.map(\.name) == ["Personne", "Prestations", "ROLEPERS"])
        #expect(path.steps[1].filter?.child == "NATPREST")
        #expect(path.steps[1].filter?.value == "RSA")
        #expect(throws: MappingError.self) { try SourcePath(parsing: "A//B") }
        #expect(throws: MappingError.self) { try SourcePath(parsing: "A[B]") }
        #expect(throws: MappingError.self) { try SourcePath(parsing: "[B=C]") }
        let column = try SourcePath(parsing: "N° allocataire (CAF)")
        #expect(column.steps.count == 1)
    }
}
