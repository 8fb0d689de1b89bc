import Foundation
import LocalBroker

/// Third-party checkers the tests run as they are installed on Debian: `promtool` (package
/// `prometheus`) for the metrics format, and headless Chromium (package `chromium`) for pages.
/// `scripts/install-deps.sh` installs both; a test that needs a missing one fails and says so.
public enum ExternalTools {
    /// `promtool check metrics` over `text`: whether it passed, and what it said.
    public static func promtoolCheckMetrics(_ text: String) throws -> (passed: Bool, output: String) {
        let dir = try TemporaryDirectory(prefix: "vitalgate-promtool")
        defer { dir.remove() }
        let input = dir.appending("metrics.txt").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let (code, output) = try run(["/bin/sh", "-c", "promtool check metrics < \"$0\"", input], in: dir)
        return (code == 0, output)
    }

    /// The DOM of `url` after Chromium loaded it (headless, no sandbox: tests may run as root),
    /// and, if `screenshot` is given, a PNG of the page written there.
    public static func chromiumDOM(_ url: String, screenshot: String? = nil, windowSize: String = "1200,900") throws -> String {
        let dir = try TemporaryDirectory(prefix: "vitalgate-chromium")
        defer { dir.remove() }
        let common = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--user-data-dir=\(dir.appending("profile").path)", "--window-size=\(windowSize)"]
        if let screenshot {
            let (code, output) = try run([chromium] + common + ["--screenshot=\(screenshot)", url], in: dir)
            guard code == 0, FileManager.default.fileExists(atPath: screenshot) else {
                throw ToolError(tool: "chromium", output: output)
            }
        }
        let dom = dir.appending("dom.html").path
        let (code, _) = try run(["/bin/sh", "-c", "\"$0\" \"$@\" > \"\(dom)\" 2>/dev/null", chromium] + common + ["--dump-dom", url], in: dir)
        let text = (try? String(contentsOfFile: dom, encoding: .utf8)) ?? ""
        guard code == 0, !text.isEmpty else { throw ToolError(tool: "chromium", output: "exit \(code.map(String.init) ?? "?")") }
        return text
    }

    /// Chromium's executable.
    public static var chromium: String {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "chromium"
    }

    public struct ToolError: Error, CustomStringConvertible {
        public var tool: String
        public var output: String
        public var description: String { "\(tool) failed (is it installed? scripts/install-deps.sh): \(output.suffix(2000))" }
    }

    private static func run(_ command: [String], in dir: TemporaryDirectory) throws -> (Int32?, String) {
        let log = dir.appending("output-\(UUID().uuidString).txt").path
        let child = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), outputPath: log)
        child.waitForExit()
        return (child.exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
