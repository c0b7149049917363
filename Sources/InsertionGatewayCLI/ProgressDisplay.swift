import Foundation

/// Progress on standard error for long commands: records, MB read, MB/s and time left. Silent when standard error is not
/// a terminal, or with `--quiet`.
final class ProgressDisplay: @unchecked Sendable {
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    func update(_ records: Int, _ bytes: Int, _ total: Int?) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(bytes) / elapsed / 1_000_000
        var text = String(
            format: "\r%d enregistrements · %.1f Mo lus · %.1f Mo/s", records, Double(bytes) / 1_000_000, rate)
        if let total, total > 0, bytes > 0 {
            let left = Double(total - bytes) / (Double(bytes) / elapsed)
            text += String(format: " · %d %% · reste %d s   ", Int(100 * Double(bytes) / Double(total)), Int(left))
        }
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
