import Testing
@testable import Basics

@Suite struct SourceFileTests {
    @Test func mapsOffsetsToLineAndColumn() {
        let f = SourceFile(path: "m.sql", text: "select 1\nfrom x\n  where é = 1")
        #expect(f.location(ofUTF8Offset: 0) == SourceLocation(file: "m.sql", line: 1, column: 1))
        #expect(f.location(ofUTF8Offset: 9) == SourceLocation(file: "m.sql", line: 2, column: 1))
        // 'é' is two bytes but one column
        let offsetOfEquals = Array("select 1\nfrom x\n  where é ".utf8).count
        #expect(f.location(ofUTF8Offset: offsetOfEquals) == SourceLocation(file: "m.sql", line: 3, column: 11))
        #expect(f.line(2) == "from x")
        #expect(f.line(4) == nil)
    }
}

@Suite struct DiagnosticRendererTests {
    @Test func printsLocationCodeSourceLineAndCaret() {
        let r = DiagnosticRenderer(readFile: { _ in "select *\nfrom {{ ref('x') }}\n" })
        let d = Diagnostic(code: DiagnosticCode("C2003", "a test code"), "ref('x') does not match any model", at: SourceLocation(file: "models/a.sql", line: 2, column: 9),
                           notes: [.init("a note")])
        #expect(r.render(d) == """
        models/a.sql:2:9: error[C2003]: ref('x') does not match any model
          |
        2 | from {{ ref('x') }}
          |         ^
        note: a note
        """)
    }

    @Test func bagCollectsEveryError() {
        var bag = DiagnosticBag()
        let (a, b, c) = (DiagnosticCode("A", "a"), DiagnosticCode("B", "b"), DiagnosticCode("C", "c"))
        _ = bag.capture { throw Diagnostic(code: a, "one") }
        _ = bag.capture { throw DiagnosticError([Diagnostic(code: b, "two"), Diagnostic(code: c, "three")]) }
        #expect(bag.diagnostics.map(\.code) == ["A", "B", "C"])
        #expect(throws: DiagnosticError.self) { try bag.throwIfErrors() }
    }
}

@Suite struct RedactionTests {
    @Test(arguments: [
        ("postgresql://alice:s3cret@db:5432/x", "postgresql://alice:****@db:5432/x"),
        ("host=db user=alice password=s3cret dbname=x", "host=db user=alice password=**** dbname=x"),
        ("host='db' password='s3 cret' dbname=x", "host='db' password=**** dbname=x"),
        ("postgresql://db/x?user=a&password=s3cret", "postgresql://db/x?user=a&password=****"),
        ("host=db dbname=x", "host=db dbname=x"),
    ])
    func redactsPasswords(input: String, expected: String) {
        #expect(Redaction.connectionString(input) == expected)
        #expect(!Redaction.connectionString(input).contains("s3cret"))
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite struct SuggestionTests {
    @Test func suggestsCloseNamesOnly() {
        #expect(Suggestion.closest(to: "stg_ordrs", in: ["stg_orders", "stg_customers"]) == "stg_orders")
        #expect(Suggestion.closest(to: "zzz", in: ["stg_orders"]) == nil)
        // short names: one edit, a swap of neighbours counting as one; a name cut short finds the one it starts
        #expect(Suggestion.closest(to: "bsae", in: ["base", "dbt"]) == "base")
        #expect(Suggestion.closest(to: "doc", in: ["dbt"]) == nil)
        #expect(Suggestion.closest(to: "uniq", in: ["unique", "not_null"]) == "unique")
        #expect(Suggestion.distance("tabel", "table") == 1)
        #expect(Suggestion.distance("kitten", "sitting") == 3)
    }

    @Test func concurrentMapKeepsOrder() {
        let xs = Array(0..<1000)
        #expect(xs.concurrentMap { $0 * 2 } == xs.map { $0 * 2 })
    }
}

/// RFC 1321's test vectors, and a message longer than one block (digests from Python's hashlib).
@Suite struct MD5Tests {
    @Test func digestsMatchTheReference() {
        #expect(MD5.hex(Array("".utf8)) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("message digest".utf8)) == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(MD5.hex(Array(String(repeating: "a", count: 1000).utf8)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }
}
