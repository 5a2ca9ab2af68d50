public import Foundation
public import Marketplace

/// The compliance report (issue 11) as text for a terminal, JSON for machines, or a standalone HTML page for
/// auditors. Every value in the HTML is escaped; all three are UTF-8, so Chinese titles survive intact.
public enum ComplianceRendering {
    public static func text(_ report: ComplianceReport) -> String {
        let failed = report.failedClauses
        let verdict =
            failed.isEmpty
            ? "every clause passes" : "FAILED: \(failed.count) clause(s) fail (\(failed.joined(separator: ", ")))"
        var lines = ["Compliance report, \(timestamp(report.generatedAt)): \(verdict)"]
        for clause in report.clauses {
            lines.append("")
            lines.append("\(clause.passed ? "pass" : "FAIL")  \(clause.id)  \(clause.title)")
            if clause.controls.isEmpty { lines.append("      no control implements this clause") }
            for control in clause.controls {
                let mark = control.evidence.passed ? "ok  " : "FAIL"
                lines.append("      \(mark) \(control.name)")
                lines.append("           \(control.evidence.kind.rawValue): \(control.evidence.figure)")
                lines.append("           in: \(control.implementedIn.joined(separator: ", "))")
                lines.append("           tests: \(control.tests.joined(separator: ", "))")
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ report: ComplianceReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }

    public static func html(_ report: ComplianceReport) -> String {
        var rows: [String] = []
        for clause in report.clauses {
            let status = clause.passed ? "pass" : "fail"
            let controls = clause.controls.isEmpty ? [nil] : clause.controls.map { Optional($0) }
            for (index, control) in controls.enumerated() {
                var cells: [String] = []
                if index == 0 {
                    let span = " rowspan=\"\(controls.count)\""
                    cells.append("<th\(span) class=\"\(status)\">\(escape(clause.id))</th>")
                    cells.append("<td\(span)>\(escape(clause.title))</td>")
                    cells.append("<td\(span) class=\"\(status)\">\(status)</td>")
                }
                if let control {
                    cells.append("<td>\(escape(control.name))</td>")
                    cells.append("<td>\(codes(control.implementedIn))</td>")
                    cells.append("<td>\(codes(control.tests))</td>")
                    cells.append(
                        "<td class=\"\(control.evidence.passed ? "pass" : "fail")\">"
                            + "\(escape(control.evidence.kind.rawValue)): \(escape(control.evidence.figure))</td>")
                } else {
                    cells.append("<td colspan=\"4\" class=\"fail\">no control implements this clause</td>")
                }
                rows.append("<tr>" + cells.joined() + "</tr>")
            }
        }
        let verdict =
            report.passed
            ? "Every clause passes."
            : "Failing clauses: \(report.failedClauses.joined(separator: ", "))."
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Covenant compliance report</title>
            <style>
            body { font-family: sans-serif; margin: 2em; }
            table { border-collapse: collapse; }
            th, td { border: 1px solid #999; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
            .pass { color: #1a6b1a; } .fail { color: #b00020; font-weight: bold; }
            </style>
            </head>
            <body>
            <h1>Covenant compliance report</h1>
            <p>Generated \(escape(timestamp(report.generatedAt))). \(escape(verdict))</p>
            <table>
            <thead><tr><th>Clause</th><th>Title</th><th>Status</th><th>Control</th><th>Implemented in</th>
            <th>Tests</th><th>Evidence</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            </body>
            </html>

            """
    }

    /// Paths or file names, escaped, one per line.
    static func codes(_ items: [String]) -> String {
        items.map { "<code>\(escape($0))</code>" }.joined(separator: "<br>")
    }

    /// Escapes text for HTML element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func timestamp(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).ISO8601Format()
    }
}
