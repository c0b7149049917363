import Foundation

/// Writes a France Travail enrolment CSV in the 2019 layout (`;`, Latin-1, header), with valid, invented NIRs
/// that agree with the birth dates, 11-character France Travail ids, accented names and INSEE codes.
struct FranceTravailGenerator {
    var rows: Int

    static let surnames = [
        "MÜLLER", "SCHNEIDER", "HAEGEL", "BŒUF", "FRITSCH", "GRÜNENWALD", "OBERLÉ", "KIEFFER", "WEISS", "BENCHÉRIF",
        "DIALLO", "MARTINEZ", "VOGEL", "MEYER", "KLEIN", "LEFÈVRE", "GARÇON", "NGUYEN", "BAUMANN", "ROTH",
    ]
    static let firstNames = [
        "Jérôme", "Hélène", "Zoé", "Noël", "Mélanie", "Loïc", "Gaëlle", "Théo", "Aurélie", "Inès", "Karim", "Anaïs",
        "Rémi", "Françoise", "Cédric", "Bénédicte", "Alexis", "Léa", "Chloé", "Maël",
    ]
    static let communes = [
        ("67482", "STRASBOURG"), ("67462", "SÉLESTAT"), ("67437", "SAVERNE"), ("67180", "HAGUENAU"),
        ("67218", "ILLKIRCH-GRAFFENSTADEN"), ("67447", "SCHILTIGHEIM"), ("68224", "MULHOUSE"), ("68066", "COLMAR"),
    ]

    /// Latin-1 bytes of a string made of Latin-1 characters (Œ is not Latin-1: written OE, as partners do).
    static func latin1(_ text: String, into out: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0..<0x100: out.append(UInt8(scalar.value))
            case 0x152: out += [0x4F, 0x45]
            case 0x153: out += [0x6F, 0x65]
            default: out.append(0x3F)
            }
        }
    }

    static func twoDigits(_ value: Int) -> String { value < 10 ? "0" + String(value) : String(value) }

    /// Writes the file; returns its size in bytes.
    func write(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchFailure("cannot write \(path)") }
        defer { try? handle.close() }
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        Self.latin1("nir;identifiantpe;nom;prenom;dtnai;date;code;nir2;codeinsee;localite;adresse;ale\r\n", into: &out)
        var total = 0
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for row in 0..<rows {
            let sex = 1 + next(2)
            let year = 1960 + next(45)
            let month = 1 + next(12)
            let day = 1 + next(28)
            let (insee, commune) = Self.communes[next(Self.communes.count)]
            let birthPlace = Self.communes[next(Self.communes.count)].0
            let order = 1 + (row % 999)
            let base13 =
                String(sex) + Self.twoDigits(year % 100) + Self.twoDigits(month) + birthPlace
                + String(repeating: "0", count: 3 - String(order).count) + String(order)
            let key = 97 - Int(UInt64(base13)! % 97)
            let nir = base13 + Self.twoDigits(key)
            let number = String(1_000_000 + row % 8_999_999)
            let id = number + String(UnicodeScalar(UInt8(65 + row % 26))) + Self.twoDigits(next(100)) + String(next(10))
            let line =
                nir + ";" + id + ";" + Self.surnames[next(Self.surnames.count)] + ";"
                + Self.firstNames[next(Self.firstNames.count)] + ";" + Self.twoDigits(day) + "/" + Self.twoDigits(month)
                + "/" + String(year) + ";" + Self.twoDigits(1 + next(28)) + "/" + Self.twoDigits(1 + next(12))
                + "/2026;" + String(1 + next(8)) + ";" + nir + ";" + insee + ";" + commune + ";"
                + String(1 + next(120)) + " RUE DES ÉCOLES;" + "ALE " + String(67000 + next(900)) + "\r\n"
            Self.latin1(line, into: &out)
            if out.count >= 1 << 20 {
                try handle.write(contentsOf: out)
                total += out.count
                out.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: out)
        total += out.count
        return total
    }
}

extension GatewayBench {
    /// The France Travail CSV part: generation, pandas' read (the reference), validate, import, re-import.
    func runFranceTravail(cli: String, mappings: String, work: WorkDirectory) throws {
        // The name says the kind: the 2019 layout sends one file per kind, told apart by their names.
        let file = work.file("ft-inscriptions-bench.csv")
        let store = work.file("bench-ft.sqlite")
        say()
        say("France Travail enrolments (CSV ;, Latin-1): \(Format.grouped(Double(ftRows))) rows")
        let start = Clock.now()
        let bytes = try FranceTravailGenerator(rows: ftRows).write(to: file)
        let generation = Clock.now() - start
        say("  generated \(file): \(Format.megabytes(bytes)) MB in \(Format.fixed(generation, 2)) s")

        var rows: [(String, Double, Int, String)] = []
        // pandas and validate take turns, so that both are timed under the same load: this machine's speed drifts
        // from minute to minute. Each keeps its fastest run, of at least five (a few seconds each; the import
        // keeps `runs`).
        let python = Executables.find("python3")
        let script = """
            import sys, time
            try:
                import pandas
            except ImportError:
                print("missing"); sys.exit(0)
            t = time.perf_counter()
            frame = pandas.read_csv(sys.argv[1], sep=";", dtype=str, encoding="latin-1")
            print(len(frame), time.perf_counter() - t)
            """
        var pandasSeconds: Double?
        var pandasRuns = Child.Fastest()
        var pandasMissing: String?
        var validateRuns = Child.Fastest()
        for _ in 0..<max(runs, 5) {
            if let python, pandasMissing == nil {
                let child = try Child.run(
                    python, ["-c", script, file], stdout: work.file("pandas.out"), stderr: work.file("pandas.err"))
                let output = (try? String(contentsOfFile: work.file("pandas.out"), encoding: .utf8)) ?? ""
                let parts = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if parts.count == 2, Int(parts[0]) == ftRows, let seconds = Double(parts[1]) {
                    // read_csv's own time, timed inside Python: the fastest of the runs.
                    pandasSeconds = min(pandasSeconds ?? seconds, seconds)
                    pandasRuns.add(child)
                } else {
                    pandasMissing = output
                }
            }
            validateRuns.add(
                try Child.run(
                    cli, ["validate", "--quiet", "--json", "--mappings", mappings, "--flow", "ft-inscriptions", file],
                    stdout: work.file("ft-validate.json"), stderr: work.file("ft-validate.err")))
        }
        if let pandasSeconds, let child = pandasRuns.run {
            rows.append(("pandas.read_csv", pandasSeconds, child.peakKiB, "read_csv alone, timed inside Python"))
        } else if python != nil {
            say("  pandas not installed (pip install pandas): the reference is skipped. \(pandasMissing ?? "")")
        }
        let validate = validateRuns.run!
        try validate.expectSuccess("insertion-gateway validate (France Travail)")
        let validation: ValidateOutput = try validate.decodeJSON("insertion-gateway validate (France Travail)")
        guard validation.records == ftRows, validation.rejected == 0 else {
            throw BenchFailure(
                "validate (France Travail): \(validation.records) rows, \(validation.rejected) rejected\n"
                    + validate.excerpt())
        }
        rows.append(("validate", validate.seconds, validate.peakKiB, "\(validation.accepted) accepted"))
        let arguments = [
            "import", "--quiet", "--json", "--mappings", mappings, "--flow", "ft-inscriptions", "--store", store, file,
        ]
        let first = try Child.fastest(of: runs) {
            work.removeStore(store)
            return try Child.run(
                cli, arguments, stdout: work.file("ft-import.json"), stderr: work.file("ft-import.err"))
        }
        try first.expectSuccess("insertion-gateway import (France Travail)")
        let imported: ImportOutput = try first.decodeJSON("insertion-gateway import (France Travail)")
        guard imported.outcome == .applied, imported.records == ftRows else {
            throw BenchFailure(
                "import (France Travail): \(imported.outcome), \(imported.records) rows\n" + first.excerpt())
        }
        rows.append(
            (
                "import", first.seconds, first.peakKiB,
                "fresh store, \(imported.accepted) accepted, \(imported.duplicates) duplicates, \(imported.quarantined) quarantined"
            ))
        let postgresStep = try timePostgresImport(
            flow: "ft-inscriptions", file: file, cli: cli, mappings: mappings, work: work, records: ftRows,
            bytes: bytes, name: "import (PostgreSQL)")
        if let postgresStep {
            rows.append((postgresStep.name, postgresStep.seconds, postgresStep.peakKiB, postgresStep.note))
        }
        let again = try Child.run(
            cli, arguments, stdout: work.file("ft-reimport.json"), stderr: work.file("ft-reimport.err"))
        try again.expectSuccess("insertion-gateway import again (France Travail)")
        rows.append(("re-import (no-op)", again.seconds, again.peakKiB, "already received"))

        say()
        say("  step                 seconds    rows/s    MB/s  peak RSS MB")
        say("  -------------------  -------  --------  ------  -----------")
        for (name, seconds, peak, _) in rows {
            say(
                "  " + name.padding(toLength: 19, withPad: " ", startingAt: 0)
                    + Format.fixed(seconds, 3).leftPadded(9) + Format.grouped(Double(ftRows) / seconds).leftPadded(10)
                    + Format.fixed(Double(bytes) / 1e6 / seconds, 1).leftPadded(8)
                    + Format.kibToMB(peak).leftPadded(13))
        }
        for (name, _, _, note) in rows { say("  \(name): \(note)") }
        say()
        var targets: [TargetResult] = []
        if let pandasSeconds {
            let factor = pandasSeconds / validate.seconds
            say("  validate throughput / pandas.read_csv throughput: \(Format.fixed(factor, 2))×")
            targets.append(
                TargetResult(
                    name: "France Travail validate >= 3x pandas.read_csv", measured: factor, unit: "x",
                    status: factor >= 3 ? "PASS" : "MISS"))
        } else {
            targets.append(
                TargetResult(
                    name: "France Travail validate >= 3x pandas.read_csv", measured: nil, unit: "x", status: "SKIP"))
        }
        let peakMB = Double(max(validate.peakKiB, first.peakKiB)) * 1024 / 1e6
        targets.append(
            TargetResult(
                name: "France Travail peak memory flat (< 150 MB)", measured: peakMB, unit: "MB",
                status: peakMB < 150 ? "PASS" : "MISS"))
        targets.append(
            Self.postgresTarget(
                sqlite: StepResult(
                    name: "import", seconds: first.seconds, households: ftRows, bytes: bytes, peakKiB: first.peakKiB,
                    note: "", memory: nil),
                postgres: postgresStep, flow: "France Travail"))
        say("  Targets:")
        for target in targets {
            say(
                "    [\(target.status)] \(target.name): \(target.measured.map { Format.fixed($0, 2) } ?? "n/a") \(target.unit)"
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        struct Line: Encodable {
            var rows: Int
            var fileBytes: Int
            var steps: [[String: Double]]
            var targets: [TargetResult]
        }
        let line = Line(
            rows: ftRows, fileBytes: bytes,
            steps: rows.map {
                [
                    "seconds": Format.rounded($0.1, 4), "rowsPerSecond": Format.rounded(Double(ftRows) / $0.1, 1),
                    "peakRSSMB": Format.rounded(Double($0.2) * 1024 / 1e6, 1),
                ]
            },
            targets: targets)
        if let data = try? encoder.encode(line), let text = String(data: data, encoding: .utf8) {
            say("BENCH_FT_JSON " + text)
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
