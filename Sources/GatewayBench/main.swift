import ArgumentParser
import Foundation
import GatewayCore
import Glibc

/// `gateway-bench`: generates a synthetic CNAF file, then times `xmllint --stream` and the release
/// `insertion-gateway` (validate, import, no-op re-import) on it, each as a child process whose peak
/// memory is read from `wait4`.
///
/// Exits non-zero only when a step fails (a child fails, or its counts are wrong); a missed target is
/// reported, not fatal.
struct GatewayBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-bench",
        abstract:
            "Benchmarks: the CNAF flow against xmllint --stream, the France Travail CSV against pandas.read_csv.",
        discussion: """
            Targets: validate ≥ 70 % of xmllint --stream throughput; import ≥ 10,000 households/s; \
            peak memory < 150 MB for a 1 GB file (--households 250000 gives ≈ 1 GB); France Travail CSV \
            (1,000,000 rows) validated at ≥ 3× the throughput of pandas.read_csv(sep=";", dtype=str, \
            encoding="latin-1") alone, memory flat; rule checks and every report over 100,000 accompaniments and \
            about 1,000,000 meetings in under 5 s.
            """)

    @Option(help: "Number of households in the generated CNAF file.")
    var households: Int = 100_000

    @Flag(help: "Keep the work directory (generated file, store, child outputs).")
    var keep = false

    @Option(help: "Runs of each timed step; the fastest counts (this machine's timings vary from run to run).")
    var runs: Int = 3

    @Option(help: "Work directory (default: a new directory under the system temporary directory).")
    var workDir: String?

    @Option(help: "The insertion-gateway executable (default: the one beside this executable).")
    var cli: String?

    @Option(help: "Mappings directory given to the CLI (default: $GATEWAY_MAPPINGS, ./Mappings, or the repository's).")
    var mappings: String?

    @Option(help: "Rows of the generated France Travail enrolment CSV (0 skips that part).")
    var ftRows: Int = 1_000_000

    @Flag(help: "Only the France Travail CSV part.")
    var ftOnly = false

    @Option(help: "Accompaniments of the generated follow-up file for the programme rules part (0 skips it).")
    var rulesPeople: Int = 100_000

    @Flag(help: "Only the programme rules part.")
    var rulesOnly = false

    @Option(
        help:
            "A PostgreSQL server (postgres://user@host:port/base) where each import is timed again, into a new database per run, for the PostgreSQL/SQLite ratio (scripts/bench.sh starts a throwaway one)."
    )
    var postgres: String?

    func validate() throws {
        guard households > 0 else { throw ValidationError("--households must be positive.") }
    }

    /// Runs every step, then removes the work directory unless `--keep` (also when a step failed).
    func run() throws {
        // Line-buffered standard output, so that progress lines come out in order even through a pipe.
        // Output is printed once per step; Swift flushes it at exit.
        let cliPath = try locateCLI()
        let mappingsPath = try locateMappings()
        let work = try WorkDirectory(requested: workDir)
        var failure: (any Error)?
        do {
            if !ftOnly && !rulesOnly { try runSteps(cli: cliPath, mappings: mappingsPath, work: work) }
            if ftRows > 0 && !rulesOnly { try runFranceTravail(cli: cliPath, mappings: mappingsPath, work: work) }
            if rulesPeople > 0 && !ftOnly { try runRules(cli: cliPath, mappings: mappingsPath, work: work) }
        } catch {
            failure = error
        }
        if keep {
            say("Work directory kept: \(work.path)")
        } else {
            work.clean()
        }
        if let failure { throw failure }
    }

    /// Generation, xmllint, validate, import, re-import, then the table, targets and JSON line.
    private func runSteps(cli: String, mappings: String, work: WorkDirectory) throws {
        let file = work.file("cnaf-bench.xml")
        let store = work.file("bench.sqlite")
        say("gateway-bench: \(Format.grouped(Double(households))) households, work directory \(work.path)")
        say("  CLI:      \(cli)")
        say("  mappings: \(mappings)")

        // 1. Generation (in process).
        let generationStart = Clock.now()
        let generated = try CNAFGenerator(households: households).write(to: file)
        let generationSeconds = Clock.now() - generationStart
        guard generated.households == households else {
            throw BenchFailure("the generator wrote \(generated.households) households instead of \(households)")
        }
        let bytes = generated.bytes
        say(
            "  generated \(file): \(Format.megabytes(bytes)) MB in \(Format.fixed(generationSeconds, 2)) s")
        var steps: [StepResult] = [
            StepResult(
                name: "generate", seconds: generationSeconds, households: households, bytes: bytes,
                peakKiB: Resources.selfPeakKiB(), note: "in process; RSS = gateway-bench's own")
        ]

        // 2. xmllint --stream (the reference), when installed.
        var xmllint: StepResult?
        if let xmllintPath = Executables.find("xmllint") {
            let child = try Child.fastest(of: runs) {
                try Child.run(
                    xmllintPath, ["--stream", "--noout", file],
                    stdout: work.file("xmllint.out"), stderr: work.file("xmllint.err"))
            }
            try child.expectSuccess("xmllint --stream")
            let step = StepResult(
                name: "xmllint --stream", seconds: child.seconds, households: households, bytes: bytes,
                peakKiB: child.peakKiB, note: "reference parser", memory: child.memory)
            xmllint = step
            steps.append(step)
        } else {
            say(
                """
                  xmllint not found: the reference timing and the validate/xmllint ratio are skipped.
                  Install it with: apt-get install -y libxml2-utils
                """)
        }

        // 3. validate.
        let validate = try Child.fastest(of: runs) {
            try Child.run(
                cli,
                [
                    "validate", "--quiet", "--json", "--mappings", mappings, "--flow", "caf-beneficiaires", file,
                ],
                stdout: work.file("validate.json"), stderr: work.file("validate.err"))
        }
        try validate.expectSuccess("insertion-gateway validate")
        let validation: ValidateOutput = try validate.decodeJSON("insertion-gateway validate")
        guard validation.records == households, validation.rejected == 0, validation.readable else {
            throw BenchFailure(
                "insertion-gateway validate: \(validation.records) records, \(validation.rejected) rejected, "
                    + "readable \(validation.readable) (expected \(households) records, 0 rejected)\n"
                    + validate.excerpt())
        }
        steps.append(
            StepResult(
                name: "validate", seconds: validate.seconds, households: households, bytes: bytes,
                peakKiB: validate.peakKiB, note: "\(validation.accepted) accepted", memory: validate.memory))

        // 4. import into a fresh store, then the same file again (a no-op).
        let importArguments = [
            "import", "--quiet", "--json", "--mappings", mappings, "--flow", "caf-beneficiaires", "--store", store,
            file,
        ]
        let first = try Child.fastest(of: runs) {
            work.removeStore(store)
            return try Child.run(
                cli, importArguments, stdout: work.file("import.json"), stderr: work.file("import.err"))
        }
        let imported = try first.importReport("insertion-gateway import", expected: "applied, \(households) accepted") {
            $0.outcome == .applied && $0.accepted == households
        }
        steps.append(
            StepResult(
                name: "import", seconds: first.seconds, households: households, bytes: bytes,
                peakKiB: first.peakKiB,
                note: "fresh store, \(imported.accepted) accepted, \(imported.statusChanges) status changes",
                memory: first.memory))
        let storeBytes = Files.size(store) + Files.size(store + "-wal")
        if let postgresStep = try timePostgresImport(
            flow: "caf-beneficiaires", file: file, cli: cli, mappings: mappings, work: work, records: households,
            bytes: bytes, name: "import (PostgreSQL)")
        {
            steps.append(postgresStep)
        }

        let second = try Child.run(
            cli, importArguments, stdout: work.file("reimport.json"), stderr: work.file("reimport.err"))
        _ = try second.importReport("insertion-gateway import (again)", expected: "already received") {
            $0.outcome == .alreadyReceived && $0.alreadyReceived
        }
        steps.append(
            StepResult(
                name: "re-import (no-op)", seconds: second.seconds, households: households, bytes: bytes,
                peakKiB: second.peakKiB, note: "already received, nothing changed", memory: second.memory))

        // 5. The next month's file over the first (most households unchanged, one in ten suspended): the import a
        // département runs every month, timed on a store holding the first file each run.
        let nextFile = work.file("cnaf-bench-next.xml")
        let nextBytes = try CNAFGenerator(households: households, nextMonth: true).write(to: nextFile).bytes
        let next = try Child.fastest(of: runs) {
            work.removeStore(store)
            let setUp = try Child.run(
                cli, importArguments, stdout: work.file("import.json"), stderr: work.file("import.err"))
            try setUp.expectSuccess("insertion-gateway import (first month)")
            return try Child.run(
                cli, Array(importArguments.dropLast()) + [nextFile], stdout: work.file("next.json"),
                stderr: work.file("next.err"))
        }
        let nextImported = try next.importReport(
            "insertion-gateway import (next month)", expected: "applied, \(households) accepted"
        ) { $0.outcome == .applied && $0.accepted == households }
        steps.append(
            StepResult(
                name: "next month", seconds: next.seconds, households: households, bytes: nextBytes,
                peakKiB: next.peakKiB,
                note: "over the first file, \(nextImported.statusChanges) status changes", memory: next.memory))
        if let postgresStep = try timePostgresImport(
            flow: "caf-beneficiaires", file: nextFile, after: file, cli: cli, mappings: mappings, work: work,
            records: households, bytes: nextBytes, name: "next month (PostgreSQL)")
        {
            steps.append(postgresStep)
        }

        report(steps: steps, xmllint: xmllint, bytes: bytes, storeBytes: storeBytes)
    }

    /// Prints the table, the ratio, the targets and the `BENCH_JSON` line.
    private func report(steps: [StepResult], xmllint: StepResult?, bytes: Int, storeBytes: Int) {
        say()
        say(Format.table(steps))
        for step in steps {
            var line = "  \(step.name): \(step.note)"
            if let memory = step.memory {
                line +=
                    "; peak RSS from \(memory.source) (ru_maxrss \(Format.kibToMB(memory.maxRSSKiB)) MB, "
                    + "inherited floor \(Format.kibToMB(memory.floorKiB)) MB)"
            }
            say(line)
        }
        say(
            "  MB = 10^6 bytes; households/s and MB/s are over the whole generated file (\(Format.megabytes(bytes)) MB)."
        )
        say("  Store after import: \(Format.megabytes(storeBytes)) MB (database + WAL).")
        say()

        let validate = steps.first { $0.name == "validate" }!
        let firstImport = steps.first { $0.name == "import" }!
        let gatewaySteps = steps.filter { ["validate", "import", "re-import (no-op)"].contains($0.name) }
        let peak = gatewaySteps.max { $0.peakKiB < $1.peakKiB }!
        let ratio = xmllint.map { 100 * $0.seconds / validate.seconds }

        var targets: [TargetResult] = []
        if let ratio {
            say("  validate / xmllint --stream throughput: \(Format.fixed(ratio, 1)) %")
            targets.append(
                TargetResult(
                    name: "validate >= 70 % of xmllint --stream", measured: ratio, unit: "%",
                    status: ratio >= 70 ? "PASS" : "MISS"))
        } else {
            say("  validate / xmllint --stream throughput: n/a (xmllint missing: apt-get install -y libxml2-utils)")
            targets.append(
                TargetResult(name: "validate >= 70 % of xmllint --stream", measured: nil, unit: "%", status: "SKIP"))
        }
        let importRate = firstImport.householdsPerSecond
        targets.append(
            TargetResult(
                name: "import >= 10,000 households/s", measured: importRate, unit: "households/s",
                status: importRate >= 10_000 ? "PASS" : "MISS"))
        let peakMB = peak.peakMB
        targets.append(
            TargetResult(
                name: "peak memory < 150 MB", measured: peakMB, unit: "MB",
                status: peakMB < 150 ? "PASS" : "MISS"))
        targets.append(
            Self.postgresTarget(
                sqlite: firstImport, postgres: steps.first { $0.name == "import (PostgreSQL)" }, flow: "CNAF"))
        if let nextMonth = steps.first(where: { $0.name == "next month" }) {
            targets.append(
                Self.postgresTarget(
                    sqlite: nextMonth, postgres: steps.first { $0.name == "next month (PostgreSQL)" },
                    flow: "CNAF next month"))
        }

        say()
        say("  Targets:")
        for target in targets {
            let measured =
                target.measured.map { target.unit == "households/s" ? Format.grouped($0) : Format.fixed($0, 1) }
                ?? "n/a"
            say("    [\(target.status)] \(target.name): \(measured) \(target.unit)")
        }
        say("    (peak memory: highest of validate/import/re-import, here \(peak.name).)")
        let gigabytes = Double(bytes) / 1e9
        if gigabytes < 0.9 {
            say(
                "    The memory target is for a 1 GB file; this one is \(Format.fixed(gigabytes, 2)) GB: "
                    + "run with --households 250000 for ≈ 1 GB.")
        } else {
            say("    The memory target is for a 1 GB file; this one is \(Format.fixed(gigabytes, 2)) GB.")
        }

        let json = BenchJSON(
            households: households, fileBytes: bytes, storeBytes: storeBytes, steps: steps.map(StepJSON.init),
            validateVsXmllintPercent: ratio.map { Format.rounded($0, 2) }, targets: targets)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(json), let text = String(data: data, encoding: .utf8) {
            say()
            say("BENCH_JSON " + text)
        }
    }

    /// With `--postgres`: the import of `file` timed into a new PostgreSQL database each run (the fastest kept),
    /// after the import of `after` (not timed) when given.
    func timePostgresImport(
        flow: String, file: String, after: String? = nil, cli: String, mappings: String, work: WorkDirectory,
        records: Int, bytes: Int, name: String
    ) throws -> StepResult? {
        guard let postgres else { return nil }
        guard let psql = Executables.find("psql") else {
            say("  psql not found: the PostgreSQL import is skipped (apt-get install -y postgresql-client).")
            return nil
        }
        guard var components = URLComponents(string: postgres) else {
            throw BenchFailure("--postgres: postgres://user@host:port/base expected")
        }
        var serial = 0
        let child = try Child.fastest(of: runs) {
            serial += 1
            let database =
                "gateway_bench_\(getpid())_\(serial)_\(flow.replacingOccurrences(of: "-", with: "_"))"
                + (after == nil ? "" : "_next")
            let created = try Child.run(
                psql, [postgres, "-q", "-c", "CREATE DATABASE \(database)"], stdout: work.file("psql.out"),
                stderr: work.file("psql.err"))
            try created.expectSuccess("psql CREATE DATABASE")
            components.path = "/" + database
            let arguments = [
                "import", "--quiet", "--json", "--mappings", mappings, "--flow", flow, "--store",
                components.string ?? postgres,
            ]
            if let after {
                let setUp = try Child.run(
                    cli, arguments + [after], stdout: work.file("pg-import.json"), stderr: work.file("pg-import.err"))
                try setUp.expectSuccess("insertion-gateway import (PostgreSQL, first file)")
            }
            return try Child.run(
                cli, arguments + [file], stdout: work.file("pg-import.json"), stderr: work.file("pg-import.err"))
        }
        try child.expectSuccess("insertion-gateway import (PostgreSQL)")
        let imported: ImportOutput = try child.decodeJSON("insertion-gateway import (PostgreSQL)")
        guard imported.outcome == .applied else {
            throw BenchFailure("import (PostgreSQL): outcome \(imported.outcome)\n" + child.excerpt())
        }
        return StepResult(
            name: name, seconds: child.seconds, households: records, bytes: bytes, peakKiB: child.peakKiB,
            note: "new database, \(imported.accepted) accepted", memory: child.memory)
    }

    /// PostgreSQL's import rate over SQLite's, same file, same run: the target is at least half.
    static func postgresTarget(sqlite: StepResult, postgres: StepResult?, flow: String) -> TargetResult {
        let name = "\(flow) import on PostgreSQL >= 0.5x SQLite's rate"
        guard let postgres else { return TargetResult(name: name, measured: nil, unit: "x", status: "SKIP") }
        let ratio = sqlite.seconds / postgres.seconds
        say("  \(flow) import, PostgreSQL / SQLite rate: \(Format.fixed(ratio, 2))x")
        return TargetResult(name: name, measured: ratio, unit: "x", status: ratio >= 0.5 ? "PASS" : "MISS")
    }

    /// `--cli`, else `insertion-gateway` in this executable's own folder (`.build/release/`).
    private func locateCLI() throws -> String {
        if let cli {
            guard Executables.isExecutable(cli) else { throw BenchFailure("--cli \(cli) is not an executable file") }
            return Files.absolute(cli)
        }
        let own = Executables.ownPath()
        let candidate = ((own as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("insertion-gateway")
        guard Executables.isExecutable(candidate) else {
            throw BenchFailure(
                "insertion-gateway not found beside \(own): build it with "
                    + "`swift build -c release --product insertion-gateway`, or pass --cli PATH")
        }
        return candidate
    }

    /// `--mappings`, else `$GATEWAY_MAPPINGS`, else `./Mappings`, else a `Mappings` folder beside a
    /// `Package.swift` above this executable.
    private func locateMappings() throws -> String {
        if let mappings { return Files.absolute(mappings) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["GATEWAY_MAPPINGS"] {
            return Files.absolute(fromEnvironment)
        }
        if Files.isDirectory("Mappings") { return Files.absolute("Mappings") }
        var folder = (Executables.ownPath() as NSString).deletingLastPathComponent
        while folder != "/" && !folder.isEmpty {
            let candidate = (folder as NSString).appendingPathComponent("Mappings")
            if Files.isDirectory(candidate),
                FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("Package.swift"))
            {
                return candidate
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
        throw BenchFailure("no Mappings folder found: run from the repository root or pass --mappings DIR")
    }
}

// MARK: - Results

/// One row of the table.
struct StepResult {
    var name: String
    var seconds: Double
    var households: Int
    var bytes: Int
    /// Peak resident set size in KiB (`ru_maxrss` on Linux).
    var peakKiB: Int
    var note: String
    /// For a child: `ru_maxrss` from `wait4`, the inherited floor, and which reading `peakKiB` is.
    var memory: (maxRSSKiB: Int, floorKiB: Int, source: String)?

    var householdsPerSecond: Double { Double(households) / max(seconds, 1e-9) }
    var megabytesPerSecond: Double { Double(bytes) / 1e6 / max(seconds, 1e-9) }
    var peakMB: Double { Double(peakKiB) * 1024 / 1e6 }
}

/// A target and whether it is met (`PASS`, `MISS`, or `SKIP` when it cannot be measured).
struct TargetResult: Encodable {
    var name: String
    var measured: Double?
    var unit: String
    var status: String
}

/// A step in the `BENCH_JSON` line.
struct StepJSON: Encodable {
    var step: String
    var seconds: Double
    var householdsPerSecond: Double
    var megabytesPerSecond: Double
    var peakRSSKiB: Int
    var peakRSSMB: Double
    /// For a child: `ru_maxrss` as `wait4` gave it, the floor inherited from gateway-bench, and the source.
    var ruMaxRSSKiB: Int?
    var inheritedFloorKiB: Int?
    var peakSource: String?

    init(_ step: StepResult) {
        self.step = step.name
        seconds = Format.rounded(step.seconds, 4)
        householdsPerSecond = Format.rounded(step.householdsPerSecond, 1)
        megabytesPerSecond = Format.rounded(step.megabytesPerSecond, 2)
        peakRSSKiB = step.peakKiB
        peakRSSMB = Format.rounded(step.peakMB, 1)
        ruMaxRSSKiB = step.memory?.maxRSSKiB
        inheritedFloorKiB = step.memory?.floorKiB
        peakSource = step.memory?.source ?? "getrusage(self)"
    }
}

/// The machine-readable summary printed after `BENCH_JSON `.
struct BenchJSON: Encodable {
    var households: Int
    var fileBytes: Int
    var storeBytes: Int
    var steps: [StepJSON]
    var validateVsXmllintPercent: Double?
    var targets: [TargetResult]
}

/// The fields of `validate --json` the bench checks.
struct ValidateOutput: Decodable {
    var records: Int
    var accepted: Int
    var rejected: Int
    var readable: Bool
}

/// The fields of `import --json` the bench checks.
struct ImportOutput: Decodable {
    var records: Int
    var accepted: Int
    var duplicates: Int
    var quarantined: Int
    var statusChanges: Int
    var outcome: FileOutcome
    var alreadyReceived: Bool
}

/// A failed step: the message is printed by ArgumentParser and the exit status is 1.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard output at once (unbuffered, so that it stays in order with standard error).
func say(_ text: String = "") {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

// MARK: - Child processes

/// A finished child process: exit status, wall time and peak memory.
///
/// Peak memory: on Linux a `posix_spawn`ed child's `ru_maxrss` is at least the parent's own RSS high-water
/// mark at spawn time (glibc spawns with `CLONE_VM`, and `exec` records the outgoing address space — the
/// parent's — in the child's `maxrss`). So `wait4`'s `ru_maxrss` is the child's own peak only when it is
/// above gateway-bench's high-water mark at spawn (`floorKiB`, lowered beforehand with `clear_refs`);
/// otherwise the child's `VmHWM`, polled from `/proc/PID/status` every 5 ms until it exits, is used.
struct Child {
    var command: String
    var stdoutPath: String
    var stderrPath: String
    /// The exit code, or nil when a signal ended the child.
    var exitCode: Int32?
    var signal: Int32?
    var seconds: Double
    /// `ru_maxrss` from `wait4`, in KiB.
    var maxRSSKiB: Int
    /// gateway-bench's own RSS high-water mark when the child was spawned, in KiB.
    var floorKiB: Int
    /// The highest `VmHWM` seen while polling the child, in KiB.
    var polledKiB: Int

    /// The child's own peak RSS in KiB (see the type's documentation).
    var peakKiB: Int { maxRSSKiB > floorKiB || polledKiB == 0 ? maxRSSKiB : polledKiB }

    /// Where `peakKiB` comes from.
    var peakSource: String {
        if maxRSSKiB > floorKiB { return "wait4" }
        return polledKiB == 0 ? "wait4 (upper bound: no VmHWM reading)" : "VmHWM poll"
    }

    /// The memory readings, for the report.
    var memory: (maxRSSKiB: Int, floorKiB: Int, source: String) { (maxRSSKiB, floorKiB, peakSource) }

    /// Spawns `executable` with `arguments` (`posix_spawn`), standard input from `/dev/null`, standard
    /// output and error to files, waits for it with `wait4` and gets its `ru_maxrss`.
    /// Runs a step `runs` times and keeps the fastest run, with the highest peak memory seen.
    static func fastest(of runs: Int, _ step: () throws -> Child) throws -> Child {
        var fastest = Fastest()
        for _ in 0..<max(runs, 1) { fastest.add(try step()) }
        return fastest.run!
    }

    /// The fastest of the runs of one step added so far, with the highest peak memory seen among them: steps
    /// whose runs alternate with another's (`fastest(of:)` runs one step alone).
    struct Fastest {
        private var best: Child?
        private var highest: Child?

        mutating func add(_ child: Child) {
            if highest.map({ child.peakKiB > $0.peakKiB }) ?? true { highest = child }
            if best.map({ child.seconds < $0.seconds }) ?? true { best = child }
        }

        /// The fastest run, with the highest peak's memory readings; nil before the first.
        var run: Child? {
            guard var best, let highest else { return nil }
            if highest.peakKiB > best.peakKiB {
                best.maxRSSKiB = highest.maxRSSKiB
                best.floorKiB = highest.floorKiB
                best.polledKiB = highest.polledKiB
            }
            return best
        }
    }

    static func run(_ executable: String, _ arguments: [String], stdout: String, stderr: String) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // No O_CLOEXEC: glibc closes the target descriptor first, so open() returns it as is and the flag would
        // close it at exec.
        let writeFlags = O_WRONLY | O_CREAT | O_TRUNC
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout, writeFlags, 0o644)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr, writeFlags, 0o644)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }

        Resources.resetOwnHighWaterMark()
        let floor = Resources.highWaterKiB(of: "self") ?? Resources.selfPeakKiB()
        var pid = pid_t()
        let start = Clock.now()
        let spawned = argv.withUnsafeBufferPointer { buffer in
            posix_spawn(&pid, executable, &actions, nil, buffer.baseAddress!, environ)
        }
        guard spawned == 0 else {
            throw BenchFailure("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        let poller = HighWaterPoller(pid: pid)
        poller.start()
        // Wait for the exit without reaping, so that the poller never reads a recycled pid.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 {
            guard errno == EINTR else {
                throw BenchFailure("waitid on \(executable) failed: \(String(cString: strerror(errno)))")
            }
        }
        let seconds = Clock.now() - start
        let polled = poller.stop()
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 {
            guard errno == EINTR else {
                throw BenchFailure("wait4 on \(executable) failed: \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let terminatingSignal = status & 0x7F
        return Child(
            command: ([executable] + arguments).joined(separator: " "), stdoutPath: stdout, stderrPath: stderr,
            exitCode: terminatingSignal == 0 ? (status >> 8) & 0xFF : nil,
            signal: terminatingSignal == 0 ? nil : terminatingSignal,
            seconds: seconds, maxRSSKiB: Int(usage.ru_maxrss), floorKiB: floor, polledKiB: polled)
    }

    /// Throws, with the beginning of the child's output, unless it exited with status 0.
    func expectSuccess(_ step: String) throws {
        if exitCode == 0 { return }
        let how = exitCode.map { "exited with status \($0)" } ?? "was killed by signal \(signal ?? 0)"
        throw BenchFailure("\(step) \(how)\n  command: \(command)\n" + excerpt())
    }

    /// The import report of a child that succeeded, checked by `isRight` (`expected` says what a right one is).
    func importReport(_ step: String, expected: String, _ isRight: (ImportOutput) -> Bool) throws -> ImportOutput {
        try expectSuccess(step)
        let report: ImportOutput = try decodeJSON(step)
        guard isRight(report) else {
            throw BenchFailure(
                "\(step): outcome \(report.outcome), \(report.accepted) accepted, \(report.quarantined) quarantined, "
                    + "already received \(report.alreadyReceived) (expected \(expected))\n" + excerpt())
        }
        return report
    }

    /// Decodes the child's standard output as JSON.
    func decodeJSON<Value: Decodable>(_ step: String) throws -> Value {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: stdoutPath))
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw BenchFailure("\(step): unexpected JSON output (\(error))\n" + excerpt())
        }
    }

    /// The first lines of the child's standard output and error, for failure messages.
    func excerpt(limit: Int = 2_000) -> String {
        var text = ""
        for (label, path) in [("stdout", stdoutPath), ("stderr", stderrPath)] {
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { continue }
            let head = String(decoding: data.prefix(limit), as: UTF8.self)
            text += "  --- \(label) (\(data.count) bytes) ---\n" + head + (data.count > limit ? "\n  …" : "") + "\n"
        }
        return text.isEmpty ? "  (no output)" : text
    }
}

/// The monotonic clock.
enum Clock {
    /// Seconds on `CLOCK_MONOTONIC`.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Resident-memory readings.
enum Resources {
    /// `VmHWM` (peak RSS of the current address space) of `/proc/<process>/status` in KiB, or nil when it
    /// cannot be read (no such process, or a zombie).
    static func highWaterKiB(of process: String) -> Int? {
        let descriptor = open("/proc/\(process)/status", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.dropFirst("VmHWM:".count).split(whereSeparator: \.isWhitespace).first ?? "")
    }

    /// Lowers this process's RSS high-water mark to its current RSS (`echo 5 > /proc/self/clear_refs`), so
    /// that the next child inherits as small a `ru_maxrss` floor as possible. Best effort.
    static func resetOwnHighWaterMark() {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "5", 1)
        close(descriptor)
    }

    /// Peak RSS of gateway-bench itself, in KiB.
    static func selfPeakKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }
}

/// Polls a child's `VmHWM` on a background thread until told to stop.
final class HighWaterPoller: @unchecked Sendable {
    private let pid: pid_t
    private let condition = NSCondition()
    private var stopRequested = false
    private var finished = false
    private var peak = 0

    init(pid: pid_t) { self.pid = pid }

    /// Starts polling on a detached thread.
    func start() {
        Thread.detachNewThread { [self] in
            let process = String(pid)
            while true {
                let reading = Resources.highWaterKiB(of: process)
                condition.lock()
                if let reading { peak = max(peak, reading) }
                let stop = stopRequested
                condition.unlock()
                if stop { break }
                usleep(5_000)
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Stops polling (after the child has exited) and returns the highest reading, in KiB.
    func stop() -> Int {
        condition.lock()
        defer { condition.unlock() }
        stopRequested = true
        while !finished { condition.wait() }
        return peak
    }
}

/// Finding executables.
enum Executables {
    static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0 && !Files.isDirectory(path)
    }

    /// `name` in `$PATH`, or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = (String(folder) as NSString).appendingPathComponent(name)
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// This executable, from `/proc/self/exe` (falls back to `argv[0]`).
    static func ownPath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return Files.absolute(CommandLine.arguments[0])
    }
}

/// Small file-system helpers.
enum Files {
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// The size of `path` in bytes, 0 when it does not exist.
    static func size(_ path: String) -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// The work directory: created under the temporary directory, or the one given with `--work-dir`.
///
/// A directory the bench created is removed whole; in a directory it was given, only the files it wrote are.
struct WorkDirectory {
    let path: String
    let created: Bool
    /// Names (relative to `path`) the bench may have written.
    static let outputs = [
        "cnaf-bench.xml", "xmllint.out", "xmllint.err", "validate.json", "validate.err", "import.json",
        "import.err", "reimport.json", "reimport.err", "bench.sqlite", "bench.sqlite-wal", "bench.sqlite-shm",
        "bench.sqlite-journal", "refused",
    ]

    init(requested: String?) throws {
        if let requested {
            path = Files.absolute(requested)
            created = false
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } else {
            var template = Array(
                (NSTemporaryDirectory() as NSString).appendingPathComponent("gateway-bench.XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw BenchFailure("cannot create a temporary work directory: \(String(cString: strerror(errno)))")
            }
            path = String(cString: made)
            created = true
        }
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Removes a store and its SQLite side files, for a fresh import.
    func removeStore(_ store: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: store + suffix)
        }
    }

    /// Removes the directory if the bench created it, else only the files the bench wrote in it.
    func clean() {
        if created {
            try? FileManager.default.removeItem(atPath: path)
        } else {
            for name in Self.outputs { try? FileManager.default.removeItem(atPath: file(name)) }
        }
    }
}

// MARK: - Formatting

/// Number formatting and the table.
enum Format {
    static func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    /// `value` rounded to `decimals` decimals, for the JSON line.
    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }

    static func megabytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1e6, 1) }

    static func kibToMB(_ kib: Int) -> String { fixed(Double(kib) * 1024 / 1e6, 1) }

    /// An integer with thin thousands separators (`123,456`).
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }

    /// The results table: step, seconds, households/s, MB/s, peak RSS MB.
    static func table(_ steps: [StepResult]) -> String {
        let header = ["step", "seconds", "households/s", "MB/s", "peak RSS MB"]
        let rows = steps.map {
            [
                $0.name, fixed($0.seconds, 3), grouped($0.householdsPerSecond), fixed($0.megabytesPerSecond, 1),
                fixed($0.peakMB, 1),
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return (["  " + line(header), "  " + rule] + rows.map { "  " + line($0) }).joined(separator: "\n")
    }
}

GatewayBench.main()
