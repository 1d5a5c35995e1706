import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
import AssetBuildRun

/// Human output: on a terminal, a live status line (targets done/total, images, in flight, elapsed,
/// ETA) with notable events printed above it; when piped or in CI, one plain line per event.
public final class ConsoleReporter: BuildReporter {
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

    /// What the status line shows. Held while an event is handled and its lines written, so
    /// lines from concurrent reports never interleave.
    private struct State {
        package var total = 0, finished = 0, imagesDone = 0, imagesPlanned = 0
        package var inFlight = Set<String>()
        package var statusShown = false
        /// Redraws the status line every second while a build runs, so elapsed time and ETA move
        /// during long generations.
        package var ticker: (any DispatchSourceTimer)?
    }

    private let style: Style
    private let write: @Sendable (String) -> Void
    private let clock: any BuildClock
    private let started: Duration
    private let state = Mutex(State())

    /// `clock` gives the elapsed time on the status line (from when the reporter was made).
    public init(style: Style, clock: any BuildClock = SystemClock(),
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.style = style
        self.clock = clock
        self.started = clock.now()
        self.write = write
    }

    public func report(_ event: BuildEvent) {
        state.withLock { handle(event, &$0) }
    }

    private func paint(_ s: String, _ code: String) -> String { style.color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// Prints `lead` (this reporter's own, possibly coloured, label) and `text`, whose control
    /// characters are escaped: names and messages come from manifests and servers, and must never
    /// move the cursor, clear the screen or forge a line (the print boundary of `TerminalText`).
    private func line(_ text: String, lead: String = "", _ s: inout State) {
        if style.live, s.statusShown { write("\r\u{1B}[K") }
        write(lead + TerminalText.escape(text, keepingNewlines: true) + "\n")
        if style.live { drawStatus(&s) }
    }

    private func handle(_ event: BuildEvent, _ st: inout State) {
        func line(_ text: String, lead: String = "") { self.line(text, lead: lead, &st) }
        func drawStatus() { self.drawStatus(&st) }
        switch event {
        case .planned(let targets, let toRun, let toRestore, let images, let cost):
            // The status line counts the work to do: targets already up to date are not in it.
            st.total = toRun + toRestore
            st.imagesPlanned = images
            if style.live, toRun > 0, st.ticker == nil {
                let timer = DispatchSource.makeTimerSource(queue: .global())
                timer.schedule(deadline: .now() + 1, repeating: 1)
                timer.setEventHandler { [weak self] in self?.tick() }
                timer.resume()
                st.ticker = timer
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
            if status == .upToDate { st.finished += 1 }
            if style.explain {
                let why = reasons.map(\.description).joined(separator: "; ")
                line(" \(target): \(status.summary)" + (why.isEmpty ? "" : ": \(why)") + (detail.map { "  [\($0)]" } ?? ""),
                     lead: paint("explain:", "36"))
            }
        case .targetStarted(let target, let images, let model):
            st.inFlight.insert(target)
            if !style.live { line("build \(target)" + (images > 0 ? " (\(images) image(s), \(model))" : " (\(model))")) }
            else { drawStatus() }
        case .imageReceived(let target, let index, let w, let h, _):
            st.imagesDone += 1
            if !style.live { line("  \(target) image \(index + 1): \(w)x\(h)") } else { drawStatus() }
        case .imageFailed(let target, let f):
            line(" \(target) image \(f.index + 1) failed: \(f.code): \(f.message); \(f.advice)", lead: paint("warning:", "35"))
        case .retrying(let target, let attempt, let max, let delay, let reason):
            line(" \(target): attempt \(attempt) of \(max) in \(format(delay)) (\(reason))", lead: paint("retry:", "33"))
        case .targetRestored(let target, let files, let source):
            st.finished += 1
            let cache = source == .remoteCache ? "the remote cache" : "cache"
            if files > 0 || !style.live || source == .remoteCache { line("restore \(target) from \(cache) (\(files) file(s) written)") }
        case .targetFinished(let target, let images, _):
            st.finished += 1
            st.inFlight.remove(target)
            line(" \(target)" + (images > 0 ? " (\(images) image(s))" : ""), lead: paint("done", "32"))
        case .targetFailed(let target, let message):
            st.finished += 1
            st.inFlight.remove(target)
            line(" \(message.hasPrefix(target) ? message : "\(target): \(message)")", lead: paint("error:", "1;31"))
        case .targetSkipped(let target, let because):
            st.finished += 1
            line(" \(target): \(because)", lead: paint("skipped", "33"))
        case .outputRemoved(let path):
            line("remove \(path) (no longer declared)")
        case .warning(let message):
            // A manifest diagnostic already says `file:line:col: warning:`; never say it twice.
            if message.contains(": warning: ") { line(message) } else { line(" \(message)", lead: paint("warning:", "35")) }
        case .waitingForLock(let message):
            line(message)
        case .finished(let s):
            st.ticker?.cancel()
            st.ticker = nil
            if style.live, st.statusShown { write("\r\u{1B}[K"); st.statusShown = false }
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
        state.withLock { s in if s.ticker != nil { drawStatus(&s) } }
    }

    private func drawStatus(_ state: inout State) {
        guard style.live, state.total > 0 else { return }
        let elapsed = (clock.now() - started).inSeconds
        var s = "[\(state.finished)/\(state.total)] images \(state.imagesDone)"
        if state.imagesPlanned > 0 { s += "/\(state.imagesPlanned)" }
        s += "  in flight \(state.inFlight.count)  \(String(format: "%.0fs", elapsed))"
        if state.imagesDone > 0, state.imagesPlanned > state.imagesDone {
            let eta = elapsed / Double(state.imagesDone) * Double(state.imagesPlanned - state.imagesDone)
            s += String(format: "  ETA %.0fs", eta)
        }
        write("\r\u{1B}[K" + s)
        state.statusShown = true
    }

    private func format(_ d: Duration) -> String {
        String(format: "%.1fs", d.inSeconds)
    }
}
