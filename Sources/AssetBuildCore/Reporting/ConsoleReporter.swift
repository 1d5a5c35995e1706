import Foundation

/// Human output: on a terminal, a live status line (targets done/total, images, in flight, elapsed,
/// ETA) with notable events printed above it; when piped or in CI, one plain line per event.
public final class ConsoleReporter: BuildReporter, @unchecked Sendable {
    public struct Style: Sendable {
        public var live: Bool
        public var color: Bool
        public var explain: Bool
        public init(live: Bool, color: Bool, explain: Bool) {
            self.live = live
            self.color = color
            self.explain = explain
        }

        /// Live and coloured on a terminal; plain in CI, when piped, or with NO_COLOR / TERM=dumb.
        public static func detect(explain: Bool, environment: [String: String], fd: Int32 = STDERR_FILENO) -> Style {
            let tty = isatty(fd) == 1
            let ci = environment["CI"].map { !$0.isEmpty && $0 != "false" && $0 != "0" } ?? false
            let dumb = environment["TERM"] == "dumb"
            let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            return Style(live: tty && !ci && !dumb, color: tty && !noColor && !dumb, explain: explain)
        }
    }

    private let style: Style
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let started = Date()
    private var total = 0, finished = 0, imagesDone = 0, imagesPlanned = 0
    private var inFlight = Set<String>()
    private var statusShown = false
    /// Redraws the status line every second while a build runs, so elapsed time and ETA move
    /// during long generations.
    private var ticker: DispatchSourceTimer?

    public init(style: Style, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.style = style
        self.write = write
    }

    public func report(_ event: BuildEvent) {
        lock.withLock { handle(event) }
    }

    private func paint(_ s: String, _ code: String) -> String { style.color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// Prints `lead` (this reporter's own, possibly coloured, label) and `text`, whose control
    /// characters are escaped: names and messages come from manifests and servers, and must never
    /// move the cursor, clear the screen or forge a line (the print boundary of `TerminalText`).
    private func line(_ text: String, lead: String = "") {
        if style.live, statusShown { write("\r\u{1B}[K") }
        write(lead + TerminalText.escape(text, keepingNewlines: true) + "\n")
        if style.live { drawStatus() }
    }

    private func handle(_ event: BuildEvent) {
        switch event {
        case .planned(let targets, let toRun, let toRestore, let images, let cost):
            // The status line counts the work to do: targets already up to date are not in it.
            total = toRun + toRestore
            imagesPlanned = images
            if style.live, toRun > 0, ticker == nil {
                let timer = DispatchSource.makeTimerSource(queue: .global())
                timer.schedule(deadline: .now() + 1, repeating: 1)
                timer.setEventHandler { [weak self] in self?.tick() }
                timer.resume()
                ticker = timer
            }
            if toRun == 0 && toRestore == 0 {
                line("assetbuild: all \(targets) target(s) up to date")
            } else {
                var parts: [String] = []
                if toRun > 0 {
                    var s = "\(toRun) to build (up to \(images) image(s)"
                    if cost > 0 { s += String(format: ", est. $%.2f", cost) }
                    parts.append(s + ")")
                }
                if toRestore > 0 { parts.append("\(toRestore) to restore from cache") }
                line("assetbuild: \(targets) target(s): " + parts.joined(separator: ", "))
            }
        case .decided(let target, let status, let reasons, let detail):
            // Decided again during the build: an upstream rebuilt to the same bytes leaves it up to date.
            if status == .upToDate { finished += 1 }
            if style.explain {
                let why = reasons.map(\.description).joined(separator: "; ")
                line(" \(target): \(status.summary)" + (why.isEmpty ? "" : ": \(why)") + (detail.map { "  [\($0)]" } ?? ""),
                     lead: paint("explain:", "36"))
            }
        case .targetStarted(let target, let images, let model):
            inFlight.insert(target)
            if !style.live { line("build \(target)" + (images > 0 ? " (\(images) image(s), \(model))" : " (\(model))")) }
            else { drawStatus() }
        case .imageReceived(let target, let index, let w, let h, _):
            imagesDone += 1
            if !style.live { line("  \(target) image \(index + 1): \(w)x\(h)") } else { drawStatus() }
        case .imageFailed(let target, let f):
            line(" \(target) image \(f.index + 1) failed: \(f.code): \(f.message); \(f.advice)", lead: paint("warning:", "35"))
        case .retrying(let target, let attempt, let max, let delay, let reason):
            line(" \(target): attempt \(attempt) of \(max) in \(format(delay)) (\(reason))", lead: paint("retry:", "33"))
        case .targetRestored(let target, let files):
            finished += 1
            if files > 0 || !style.live { line("restore \(target) from cache (\(files) file(s) written)") }
        case .targetFinished(let target, let images, _):
            finished += 1
            inFlight.remove(target)
            line(" \(target)" + (images > 0 ? " (\(images) image(s))" : ""), lead: paint("done", "32"))
        case .targetFailed(let target, let message):
            finished += 1
            inFlight.remove(target)
            line(" \(message.hasPrefix(target) ? message : "\(target): \(message)")", lead: paint("error:", "1;31"))
        case .targetSkipped(let target, let because):
            finished += 1
            line(" \(target): \(because)", lead: paint("skipped", "33"))
        case .outputRemoved(let path):
            line("remove \(path) (no longer declared)")
        case .warning(let message):
            // A manifest diagnostic already says `file:line:col: warning:`; never say it twice.
            if message.contains(": warning: ") { line(message) } else { line(" \(message)", lead: paint("warning:", "35")) }
        case .waitingForLock(let message):
            line(message)
        case .finished(let s):
            ticker?.cancel()
            ticker = nil
            if style.live, statusShown { write("\r\u{1B}[K"); statusShown = false }
            var parts: [String] = []
            if s.built > 0 { parts.append("\(s.built) built") }
            if s.restored > 0 { parts.append("\(s.restored) restored") }
            if s.upToDate > 0 { parts.append("\(s.upToDate) up to date") }
            if s.failed > 0 { parts.append(paint("\(s.failed) failed", "31")) }
            if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
            if s.interrupted { parts.append("interrupted") }
            if s.dryRun {
                write("assetbuild: dry run: 0 request(s) sent, nothing written\n")
                return
            }
            let secs = String(format: "%.1fs", s.seconds)
            write("assetbuild: \(parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")); \(s.imagesGenerated) image(s) generated, \(s.requests) request(s)\(s.retries > 0 ? ", \(s.retries) retries" : "") in \(secs)\n")
        }
    }

    private func tick() {
        lock.withLock { if ticker != nil { drawStatus() } }
    }

    private func drawStatus() {
        guard style.live, total > 0 else { return }
        let elapsed = Date().timeIntervalSince(started)
        var s = "[\(finished)/\(total)] images \(imagesDone)"
        if imagesPlanned > 0 { s += "/\(imagesPlanned)" }
        s += "  in flight \(inFlight.count)  \(String(format: "%.0fs", elapsed))"
        if imagesDone > 0, imagesPlanned > imagesDone {
            let eta = elapsed / Double(imagesDone) * Double(imagesPlanned - imagesDone)
            s += String(format: "  ETA %.0fs", eta)
        }
        write("\r\u{1B}[K" + s)
        statusShown = true
    }

    private func format(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return String(format: "%.1fs", s)
    }
}
