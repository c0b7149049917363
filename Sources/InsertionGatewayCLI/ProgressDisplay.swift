import Foundation
import GatewayReports
import Logging
import Synchronization

/// Progress on standard error for long commands: records, MB read, MB/s, percentage and time left, in French number
/// forms. Silent when standard error is not a terminal, or with `--quiet`. A log line first clears it (`clear()`,
/// called by the log handler) and it is drawn again at the next update; once the file is read it shows 100 % and the
/// phase that follows (an import's commit).
final class ProgressDisplay: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var drawn = false
        var text = ""
    }

    /// The line being shown, if any: the log handler clears it before writing.
    static let current = Mutex<ProgressDisplay?>(nil)

    private let enabled: Bool
    private let start = Date()
    /// What follows the reading, shown at 100 % (« enregistrement en base » for an import).
    private let after: String?
    private let state = Mutex(State())

    init(enabled: Bool, after: String? = nil) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        self.after = after
        if self.enabled { Self.current.withLock { $0 = self } }
    }

    func update(_ records: Int, _ bytes: Int, _ total: Int?) {
        guard enabled else { return }
        let now = Date()
        let done = total.map { $0 > 0 && bytes >= $0 } ?? false
        state.withLock { state in
            guard done || now.timeIntervalSince(state.lastDraw) >= 0.25 else { return }
            state.lastDraw = now
            state.text = Self.line(records: records, bytes: bytes, total: total, elapsed: now.timeIntervalSince(start))
            if done, let after { state.text += " · \(after)…" }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + state.text).utf8))
            state.drawn = true
        }
    }

    /// Clears the line before another line is written on standard error.
    func clear() {
        state.withLock { state in
            guard state.drawn else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            state.drawn = false
        }
    }

    func finish() {
        clear()
        Self.current.withLock { if $0 === self { $0 = nil } }
    }

    /// `12 345 enregistrements · 41,7 Mo lus · 52,3 Mo/s · 37 % · reste 2 s`.
    static func line(records: Int, bytes: Int, total: Int?, elapsed: TimeInterval) -> String {
        let elapsed = max(elapsed, 0.001)
        var text =
            "\(FrenchText.integer(records)) enregistrements · \(FrenchText.decimal(Double(bytes) / 1_000_000)) Mo lus"
            + " · \(FrenchText.decimal(Double(bytes) / elapsed / 1_000_000)) Mo/s"
        if let total, total > 0, bytes > 0 {
            let percent = min(100, Int(100 * Double(bytes) / Double(total)))
            text += " · \(percent) %"
            if bytes < total {
                text += " · reste \(Int(Double(total - bytes) / (Double(bytes) / elapsed))) s"
            }
        }
        return text
    }
}

/// A log handler that clears the progress line before each log line, so that the two never share a line.
struct ProgressClearingLogHandler: LogHandler {
    var inner: any LogHandler

    init(_ inner: any LogHandler) { self.inner = inner }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        ProgressDisplay.current.withLock { $0 }?.clear()
        inner.log(event: event)
    }
}
