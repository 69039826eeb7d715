import Foundation
import PipelineCore

/// Checks the Unicode date patterns of a mapping (the ones Foundation's DateFormatter takes).
enum DatePattern {
    /// The pattern letters of Unicode TR 35 that DateFormatter understands.
    private static let fieldLetters = Set("GyYuUrQqMLlwWdDFgEecabBhHKkjJCmsSAzZOvVXx")

    /// Refuses a pattern with a letter that is not a date field, an unclosed quote, or no year/month/day.
    static func check(_ pattern: String, at location: SourceLocation) throws {
        var inQuote = false
        var letters = Set<Character>()
        for character in pattern {
            if character == "'" {
                inQuote.toggle()
            } else if !inQuote, character.isASCII, character.isLetter {
                guard fieldLetters.contains(character) else {
                    throw MappingError(
                        "date pattern \"\(pattern)\" has \"\(character)\", which is not a date field letter"
                            + " (quote literal text: 'T')", at: location)
                }
                letters.insert(character)
            }
        }
        guard !inQuote else {
            throw MappingError("date pattern \"\(pattern)\" has an unclosed quote", at: location)
        }
        guard letters.contains(where: { "yYu".contains($0) }), letters.contains(where: { "MLD".contains($0) }) else {
            throw MappingError("date pattern \"\(pattern)\" needs at least a year and a month", at: location)
        }
    }
}
