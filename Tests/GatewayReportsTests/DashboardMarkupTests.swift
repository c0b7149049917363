import Foundation
import Testing

@testable import GatewayReports

/// xmllint's path, nil when it is not installed (Debian: libxml2-utils, which scripts/setup.sh installs).
private let xmllint: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return (path.split(separator: ":").map { "\($0)/xmllint" } + ["/usr/bin/xmllint"])
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// Runs xmllint with `arguments` on `page` written to a temporary file: its exit status and what it printed.
private func lint(_ page: String, _ arguments: [String]) throws -> (status: Int32, messages: [String]) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString).html")
    try Data(page.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: xmllint!)
    process.arguments = arguments + [file.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let messages = String(decoding: printed, as: UTF8.self).split(separator: "\n").map(String.init)
    return (process.terminationStatus, messages)
}

/// The page's HTML5 and SVG elements: libxml2's HTML parser (HTML 4) reports them as "Tag … invalid" and parses them
/// all the same; every other error counts.
private let html5Elements: Set<String> = [
    "main", "section", "header", "footer", "figure", "figcaption", "time", "svg", "title", "desc", "defs", "pattern",
    "rect", "line", "text",
]

private var malicious: DashboardData {
    var data = DashboardSamples.full
    data.title = "Bilan \"A&B\" l'été <b>"
    data.programmes[1].structure = "<script>alert(1)</script>"
    data.cvDeposit[0].structure = "<script>alert(1)</script> & co"
    data.findings[0].severity = "<img src=x onerror=alert(1)>"
    data.notes = ["Tom & Jerry's <note> ]]> <!-- -->"]
    return data
}

@Suite("Dashboard markup", .enabled(if: xmllint != nil, "xmllint is not installed (apt-get install libxml2-utils)"))
struct DashboardMarkupTests {
    static let pages: [(String, DashboardData)] = [
        ("full", DashboardSamples.full), ("empty", DashboardSamples.empty),
        ("no denominators", DashboardSamples.noDenominators), ("malicious labels", malicious),
    ]

    @Test(arguments: pages.map(\.0))
    func xmllintHTMLReportsNoError(name: String) throws {
        let data = try #require(Self.pages.first { $0.0 == name }?.1)
        let (status, messages) = try lint(DashboardRenderer.render(data), ["--html", "--noout"])
        #expect(status == 0)
        // Error lines look like `file:12: HTML parser error : Tag figure invalid`, followed by the line and a caret.
        let errors = messages.filter { $0.contains("error") }
        let unexpected = errors.filter { line in
            guard let tag = line.firstMatch(of: /error : Tag ([a-z0-9]+) invalid$/)?.output.1 else { return true }
            return !html5Elements.contains(String(tag))
        }
        #expect(unexpected.isEmpty, "xmllint --html: \(unexpected)")
    }

    /// Written as polyglot markup (void elements closed, only &amp; &lt; &gt; &quot; &#39;), the page is also
    /// well-formed XML: the stricter check catches any unbalanced tag or stray ampersand.
    @Test(arguments: pages.map(\.0))
    func isWellFormedXML(name: String) throws {
        let data = try #require(Self.pages.first { $0.0 == name }?.1)
        let (status, messages) = try lint(DashboardRenderer.render(data), ["--noout", "--nonet"])
        #expect(status == 0, "xmllint: \(messages)")
        #expect(messages.isEmpty, "xmllint: \(messages)")
    }
}

/// Writes a sample page where DASHBOARD_SAMPLE says, to look at it (DASHBOARD_SAMPLE_KIND: full, the default,
/// empty or zero): `DASHBOARD_SAMPLE=/tmp/dashboard-sample.html swift test --filter writesTheSamplePage`, then
/// `scripts/render-dashboard.sh /tmp/dashboard-sample.html /tmp/dashboard-sample.png`.
@Test(.enabled(if: ProcessInfo.processInfo.environment["DASHBOARD_SAMPLE"] != nil, "DASHBOARD_SAMPLE is not set"))
func writesTheSamplePage() throws {
    let environment = ProcessInfo.processInfo.environment
    let path = try #require(environment["DASHBOARD_SAMPLE"])
    let samples = [
        "full": DashboardSamples.full, "empty": DashboardSamples.empty, "zero": DashboardSamples.noDenominators,
    ]
    let data = try #require(samples[environment["DASHBOARD_SAMPLE_KIND"] ?? "full"], "full, empty or zero")
    try Data(DashboardRenderer.render(data).utf8).write(to: URL(fileURLWithPath: path))
}
