import Foundation

/// Writes an operators' follow-up CSV (the `operator-followup` csv layout: one row per meeting, the accompaniment's
/// columns repeated) for `people` accompaniments and about `meetingsPerPerson` meetings each, invented.
struct FollowupGenerator {
    var people: Int
    var meetingsPerPerson: Int

    static let operators: [(code: String, fiche: String, referents: [String])] = [
        ("OP67-SOCIAL", "1", ["Réf. S12", "Réf. S15"]), ("OP67-PASSERELLE", "4", ["Réf. P03"]),
        ("OP67-SOCIOPRO", "5", ["Réf. T21", "Réf. P07", "Réf. P09"]),
        ("OP68-COACHING", "9", ["Réf. C07", "Réf. C11"]), ("OP38-PER", "PER", ["Réf. R02"]),
    ]
    static let exits = ["CDI", "CDD6+", "CDD6-", "INTERIM", "IAE", "FORMATION", "CREATION"]

    func write(to path: String) throws -> (bytes: Int, rows: Int) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchFailure("cannot write \(path)") }
        defer { try? handle.close() }
        var out = ""
        out.reserveCapacity(1 << 20)
        out +=
            "operateur;id_accompagnement;fiche;referent;nir;identifiant_ft;organisme;matricule;role;nom;prenom;"
            + "date_naissance;date_debut;date_fin;cer_debut;cer_fin;pret_emploi;rome_cible;mobilite;sortie_type;"
            + "sortie_date;reorientation;date_reorientation;rdv_date;rdv_mode;rdv_employeur\r\n"
        var bytes = 0
        var rows = 0
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func date(_ days: Int) -> String {
            // Days after 2025-01-01, as dd/MM/yyyy.
            var year = 2025
            var remaining = days
            while remaining >= (year % 4 == 0 ? 366 : 365) {
                remaining -= year % 4 == 0 ? 366 : 365
                year += 1
            }
            var month = 1
            let lengths = [31, year % 4 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            while remaining >= lengths[month - 1] {
                remaining -= lengths[month - 1]
                month += 1
            }
            let day = remaining + 1
            return (day < 10 ? "0" : "") + String(day) + "/" + (month < 10 ? "0" : "") + String(month) + "/"
                + String(year)
        }
        for person in 0..<people {
            let (code, fiche, referents) = Self.operators[person % Self.operators.count]
            let referent = referents[next(referents.count)]
            let start = next(600)
            let ended = next(4) == 0
            let exit = ended && next(2) == 0 ? Self.exits[next(Self.exits.count)] : ""
            let end = ended ? start + 60 + next(300) : -1
            let jobReady = next(3) == 0 ? "O" : "N"
            let common =
                code + ";ACC-" + String(person) + ";" + fiche + ";" + referent + ";;;;;;NOM" + String(person % 977)
                + ";Prénom" + String(person % 313) + ";" + "15/06/" + String(1960 + next(40))
                + ";" + date(start) + ";" + (ended ? date(end) : "") + ";" + date(start + next(20)) + ";"
                + date(start + 180) + ";" + jobReady + ";" + (jobReady == "O" ? "N1103" : "") + ";"
                + (jobReady == "O" ? "67482 67" : "") + ";" + exit + ";" + (exit.isEmpty ? "" : date(end)) + ";;;"
            let meetings = max(1, meetingsPerPerson - 2 + next(5))
            var day = start
            for _ in 0..<meetings {
                day += 3 + next(20)
                out +=
                    common + date(day) + ";" + (next(3) == 0 ? "COL" : "IND") + ";" + (next(5) == 0 ? "O" : "N")
                    + "\r\n"
                rows += 1
            }
            if out.utf8.count >= 1 << 20 {
                try handle.write(contentsOf: Data(out.utf8))
                bytes += out.utf8.count
                out.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: Data(out.utf8))
        bytes += out.utf8.count
        return (bytes, rows)
    }
}

extension GatewayBench {
    /// The programme rules part: a follow-up file of `rulesPeople` accompaniments (≈ 10 meetings each) imported,
    /// then every check and report from one reading of the store (`report all`), timed with its peak memory.
    func runRules(cli: String, mappings: String, work: WorkDirectory) throws {
        let file = work.file("suivi-operateurs-bench.csv")
        let store = work.file("bench-rules.sqlite")
        say()
        say("Programme rules and reports: \(Format.grouped(Double(rulesPeople))) accompaniments")
        let generated = try FollowupGenerator(people: rulesPeople, meetingsPerPerson: 10).write(to: file)
        say(
            "  generated \(file): \(Format.grouped(Double(generated.rows))) meetings, \(Format.megabytes(generated.bytes)) MB"
        )
        work.removeStore(store)
        let load = try Child.run(
            cli,
            [
                "import", "--quiet", "--json", "--mappings", mappings, "--flow", "operator-followup", "--store", store,
                file,
            ],
            stdout: work.file("rules-import.json"), stderr: work.file("rules-import.err"))
        try load.expectSuccess("insertion-gateway import (follow-up)")
        let imported: ImportOutput = try load.decodeJSON("insertion-gateway import (follow-up)")
        guard imported.accepted == rulesPeople else {
            throw BenchFailure("import (follow-up): \(imported.accepted) accepted of \(rulesPeople)\n" + load.excerpt())
        }
        let reports = try Child.fastest(of: runs) {
            try Child.run(
                cli,
                [
                    "report", "all", "--quiet", "--json", "--mappings", mappings, "--store", store, "--as-of",
                    "2026-11-02", "--out-dir", work.file("reports"),
                ], stdout: work.file("rules-report.json"), stderr: work.file("rules-report.err"))
        }
        try reports.expectSuccess("insertion-gateway report all")
        say()
        say("  step                     seconds  peak RSS MB")
        say("  -----------------------  -------  -----------")
        say(
            "  import (not in target)" + Format.fixed(load.seconds, 3).leftPadded(10)
                + Format.kibToMB(load.peakKiB).leftPadded(13))
        say(
            "  check + all reports    " + Format.fixed(reports.seconds, 3).leftPadded(10)
                + Format.kibToMB(reports.peakKiB).leftPadded(13))
        say(
            "  (report all: reads the \(Format.grouped(Double(rulesPeople))) accompaniments and their meetings once, writes the findings, the CV deposit, the indicators and the dashboard)"
        )
        let status = reports.seconds < 5 ? "PASS" : "MISS"
        say("  Targets:")
        say(
            "    [\(status)] checks and all reports < 5 s: \(Format.fixed(reports.seconds, 2)) s, peak memory \(Format.kibToMB(reports.peakKiB)) MB"
        )
        say(
            "BENCH_RULES_JSON {\"accompaniments\":\(rulesPeople),\"meetings\":\(generated.rows),\"importSeconds\":\(Format.rounded(load.seconds, 3)),\"reportSeconds\":\(Format.rounded(reports.seconds, 3)),\"reportPeakRSSMB\":\(Format.kibToMB(reports.peakKiB)),\"status\":\"\(status)\"}"
        )
    }
}
