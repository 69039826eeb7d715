import PipelineCore
import Testing

@Suite("Exit status")
struct ExitStatusTests {
    @Test("codes follow sysexits.h")
    func sysexitsValues() {
        #expect(ExitStatus.ok.rawValue == 0)
        #expect(ExitStatus.usage.rawValue == 64)
        #expect(ExitStatus.dataError.rawValue == 65)
        #expect(ExitStatus.noInput.rawValue == 66)
        #expect(ExitStatus.unavailable.rawValue == 69)
        #expect(ExitStatus.software.rawValue == 70)
        #expect(ExitStatus.temporaryFailure.rawValue == 75)
    }
}
