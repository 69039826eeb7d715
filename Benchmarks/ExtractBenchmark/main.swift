// Measures the CSV reader's throughput against a plain byte-scanning loop over the same file, in one run.
//
//   swift run -c release extract-benchmark [SIZE_MB] [FILE]
//   swift run -c release extract-benchmark read PATH…
//
// Writes a typical recordings export of SIZE_MB (default 200) to FILE (default a temporary file), then
// reads it three times: a loop that only counts line feeds (the floor), the CSV reader (fields, no
// strings), and the CSV record source (every field as a String, as the import uses it). Prints MB/s,
// the ratio to the loop, and the process's peak resident memory. With `read`, reads every record of the
// inputs at PATH (folders, compressed files, archives, workbooks) as the import does and prints
// `records seconds peak-MB` (make bench compares the input forms of one export with it).
import Extract
import Foundation
import PipelineCore

if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "read" {
    let start = Date()
    var records = 0
    for file in try InputFile.collect(Array(CommandLine.arguments.dropFirst(2)), format: nil, mapping: nil) {
        let source = try file.open(mapping: nil, options: CSVOptions())
        while try source.next() != nil { records += 1 }
    }
    print(records, String(format: "%.3f", Date().timeIntervalSince(start)), peakResidentMB())
    exit(0)
}

let sizeMB = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200 : 200
let path = CommandLine.arguments.count > 2
    ? CommandLine.arguments[2] : NSTemporaryDirectory() + "recordings-benchmark-\(sizeMB)mb.csv"

func writeExport(to path: String, bytes target: Int) {
    guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    defer { fclose(file) }
    var line = "email,user_id,external_id,job_request_external_id,video_url,duration_seconds,credit_charged,created_at\n"
    var written = 0
    var n = 0
    while written < target {
        fputs(line, file)
        written += line.utf8.count
        n += 1
        let user = n / 10
        let note = n % 7 == 0 ? "\"Intro, take \(n % 3)\"" : "REC-\(n)"
        line = "user\(user)@example.com,,\(note),JR-\(user)-\(n % 3),https://cdn.example.com/videos/\(user)/\(n).mp4,"
            + "\(n % 600),\(n % 2 == 0 ? "true" : "false"),2024-0\(n % 9 + 1)-1\(n % 9)T10:2\(n % 10):00.000-05:00\n"
    }
}

func measure(_ name: String, bytes: Int, _ body: () throws -> Int) rethrows -> Double {
    let start = Date()
    let count = try body()
    let seconds = Date().timeIntervalSince(start)
    let rate = Double(bytes) / 1_048_576 / seconds
    print(String(format: "%-34@ %8.1f MB/s  %6.2f s  (%d)", name as NSString, rate, seconds, count))
    return rate
}

func peakResidentMB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}

if !FileManager.default.fileExists(atPath: path) {
    print("writing \(sizeMB) MB to \(path)…")
    writeExport(to: path, bytes: sizeMB << 20)
}
let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print("file: \(path), \(bytes >> 20) MB")

let floor = measure("plain loop (count line feeds)", bytes: bytes) {
    guard let file = fopen(path, "rb") else { return 0 }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var lines = 0
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        buffer.withUnsafeBufferPointer { bytes in
            for index in 0..<count where bytes[index] == 0x0A { lines += 1 }
        }
    }
    return lines
}
let reader = try measure("CSVReader (fields, no strings)", bytes: bytes) {
    let reader = try CSVReader(path: path)
    var row = CSVRow()
    var fields = 0
    while try reader.next(into: &row) { fields += row.count }
    return fields
}
let records = try measure("CSVRecordSource (String values)", bytes: bytes) {
    let source = try CSVRecordSource(path: path, entity: .recordings, mapping: nil, options: CSVOptions())
    var records = 0
    while try source.next() != nil { records += 1 }
    return records
}
print(String(format: "ratio to the plain loop: reader %.2f, record source %.2f", reader / floor, records / floor))
print("peak resident memory: \(peakResidentMB()) MB")
