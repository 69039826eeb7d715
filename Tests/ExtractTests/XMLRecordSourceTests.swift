import Extract
import PipelineCore
import Testing
import XMLStream

func readRecords(_ xml: String, mapping: Mapping? = nil, name: String = "export.xml") throws -> [SourceRecord] {
    let source = try XMLRecordSource(path: TestFiles.write(xml, name: name), mapping: mapping)
    var records: [SourceRecord] = []
    while let record = try source.next() { records.append(record) }
    return records
}

@Suite("XML records")
struct XMLRecordSourceTests {
    @Test("a native export yields every entity, with the line of each record's start tag")
    func nativeExport() throws {
        let records = try readRecords("""
            <?xml version="1.0" encoding="UTF-8"?>
            <crmExport>
              <users>
                <user>
                  <email>ann@example.com</email>
                  <firstName>Ann</firstName>
                </user>
              </users>
              <jobRequests>
                <jobRequest><email>ann@example.com</email><externalId>J1</externalId><jobTitle>Nurse</jobTitle></jobRequest>
              </jobRequests>
              <recordings>
                <recording>
                  <email>ann@example.com</email><jobRequestExternalId>J1</jobRequestExternalId>
                  <videoUrl>https://v.example.com/1</videoUrl><creditCharged>true</creditCharged>
                </recording>
              </recordings>
              <payments><payment><email>ann@example.com</email><amountCents>900</amountCents><paidAt>2024-01-02</paidAt></payment></payments>
            </crmExport>
            """)
        #expect(records.map(\.entity) == [.users, .jobRequests, .recordings, .payments])
        #expect(records.map(\.location.line) == [4, 10, 13, 18])
        #expect(records[0][.firstName] == "Ann")
        #expect(records[0][.lastName] == nil)
        #expect(records[2][.jobRequestExternalID] == "J1")
        #expect(records[3][.amountCents] == "900")
    }

    @Test("prefixes and namespaces are ignored; CDATA, entities and character references are decoded")
    func namespacesAndText() throws {
        let records = try readRecords("""
            <x:crmExport xmlns:x="urn:crm" xmlns="urn:default">
              <x:users>
                <x:user>
                  <x:email>  bo@example.com
                  </x:email>
                  <firstName><![CDATA[Bo <the> "first"]]></firstName>
                  <lastName>Smith &amp; Sons &lt;&gt;&quot;&apos; &#233;&#x1F680;</lastName>
                  <phone>+1 <![CDATA[555]]> 0100</phone>
                </x:user>
              </x:users>
            </x:crmExport>
            """)
        #expect(records.count == 1)
        #expect(records[0][.email] == "bo@example.com")
        #expect(records[0][.firstName] == "Bo <the> \"first\"")
        #expect(records[0][.lastName] == "Smith & Sons <>\"' é🚀")
        #expect(records[0][.phone] == "+1 555 0100")
    }

    @Test("self-closing and empty elements are empty; absent elements are absent")
    func emptyAndAbsent() throws {
        let records = try readRecords("""
            <crmExport><users>
              <user><email>cy@example.com</email><firstName/><lastName></lastName></user>
              <user/>
            </users></crmExport>
            """)
        #expect(records.count == 2)
        #expect(records[0][.firstName] == "")
        #expect(records[0][.lastName] == "")
        #expect(records[0][.phone] == nil)
        #expect(records[1][.email] == nil)
    }

    @Test("a malformed document is an error naming its line", arguments: [
        ("<crmExport>\n<users>\n<user><email>a@b.co</email>\n</users>\n</crmExport>", 4),
        ("<crmExport>\n<users>\n<user><email>a@b.co</user>\n", 3),
        ("<crmExport>\n\n<users><user><email>a &unknown; b</email></user></users></crmExport>", 3),
    ])
    func malformed(xml: String, line: Int) throws {
        let error = try #require(throws: XMLError.self) { try readRecords(xml) }
        #expect(error.location.line == line)
        #expect(error.exitStatus == .dataError)
    }

    @Test("deep nesting is refused, not a crash")
    func deepNesting() throws {
        let depth = 100_000
        let xml = "<crmExport>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</crmExport>"
        #expect(throws: XMLError.self) { try readRecords(xml) }
    }

    @Test("a document that is no export and has no mapping is refused with what is expected")
    func unknownDocument() throws {
        let error = try #require(throws: ExtractError.self) { try readRecords("<contacts><contact/></contacts>") }
        #expect(error.exitStatus == .usage)
        #expect(error.description.contains("<crmExport>"))
    }
}
