import StackPGOutput
import Testing

@Suite struct PGValueMapperTests {
    @Test(arguments: [
        (PGTypeOID.bool, "t", PGJSONValue.integer(1)),
        (PGTypeOID.bool, "f", .integer(0)),
        (PGTypeOID.int2, "-32768", .integer(-32768)),
        (PGTypeOID.int4, "42", .integer(42)),
        (PGTypeOID.int8, "9007199254740993", .integer(9_007_199_254_740_993)),
        (PGTypeOID.int8, "-9223372036854775808", .integer(.min)),
        (PGTypeOID.oid, "4294967295", .integer(4_294_967_295)),
        (PGTypeOID.float8, "3.14", .real(3.14)),
        (PGTypeOID.float4, "-0.5", .real(-0.5)),
        (PGTypeOID.float8, "1e+300", .real(1e300)),
        (PGTypeOID.float8, "NaN", .null),
        (PGTypeOID.float8, "Infinity", .null),
        (PGTypeOID.numeric, "18014398509481982123", .text("18014398509481982123")),
        (PGTypeOID.json, "{\"a\": 1 }", .text("{\"a\": 1 }")),
        (PGTypeOID.jsonb, "{\"a\": 1}", .text("{\"a\": 1}")),
        (PGTypeOID.text, "héllo", .text("héllo")),
        (PGTypeOID.date, "2023-03-06", .text("2023-03-06")),
        (PGTypeOID.date, "infinity", .text("9999-12-31")),
        (PGTypeOID.date, "-infinity", .text("0000-01-01")),
        (PGTypeOID.time, "17:42:01.12", .text("17:42:01.12")),
        (PGTypeOID.timestamp, "2023-03-06 15:47:00", .text("2023-03-06 15:47:00")),
        (PGTypeOID.pgLSN, "16/B374D848", .text("00000016/B374D848")),
        (UInt32(99999), "custom domain text", .text("custom domain text")),
    ])
    func mapsScalars(oid: UInt32, text: String, expected: PGJSONValue) {
        #expect(PGValueMapper.map(typeOID: oid, text: text) == expected)
    }

    @Test func nullIsNullAndByteaIsDropped() {
        #expect(PGValueMapper.map(typeOID: PGTypeOID.int4, text: nil) == .null)
        #expect(PGValueMapper.map(typeOID: PGTypeOID.bytea, text: "\\xdeadbeef") == nil)
        #expect(PGValueMapper.map(typeOID: PGTypeOID.bytea, text: nil) == .null)
    }

    @Test(arguments: [
        ("2023-03-06 15:47:00+02", "2023-03-06 13:47:00Z"),
        ("2023-03-06 15:47:00.4+02", "2023-03-06 13:47:00.4Z"),
        ("2023-03-06 13:47:00+00", "2023-03-06 13:47:00Z"),
        ("2023-03-06 13:47:00.120000+00", "2023-03-06 13:47:00.120000Z"),
        ("2023-03-06 13:47:00-00:00", "2023-03-06 13:47:00Z"),
        ("0000-01-01 00:00:00+00", "0000-01-01 00:00:00Z"),
        ("2023-13-06 13:47:00+00", ""),
        ("2023-03-06 13:47:00+00 BC", ""),
        ("2023-03-06 19:17:00.123456+05:30", "2023-03-06 13:47:00.123456Z"),
        ("2023-03-06 20:00:00-07", "2023-03-07 03:00:00Z"),
        ("2024-03-01 01:00:00+05", "2024-02-29 20:00:00Z"),
        ("2000-01-01 00:00:00-00:30", "2000-01-01 00:30:00Z"),
        ("1890-01-01 00:00:00+00:53:28", "1889-12-31 23:06:32Z"),
        ("9999-12-31 23:00:00-02", ""),
        ("10022-01-01 00:00:00+00", ""),
        ("0044-03-15 12:00:00+00 BC", ""),
        ("infinity", "9999-12-31 23:59:59Z"),
        ("-infinity", "0000-01-01 00:00:00Z"),
        ("not a timestamp", ""),
    ])
    func convertsTimestamptzToLegacyUTC(source: String, expected: String) {
        let mapped = PGValueMapper.map(typeOID: PGTypeOID.timestamptz, text: source)
        #expect(mapped == (expected.isEmpty ? .null : .text(expected)))
    }

    @Test(arguments: [
        (UInt32(1009), "{a,\"b c\",NULL}", "[\"a\",\"b c\",null]"),
        (1009, "{\"NULL\",null,\"\"}", "[\"NULL\",null,\"\"]"),
        (1009, "{\"}te][xt{\\\"\",\"back\\\\slash\"}", "[\"}te][xt{\\\"\",\"back\\\\slash\"]"),
        (1009, "{\"line\nbreak\"}", "[\"line\\nbreak\"]"),
        (1009, "{}", "[]"),
        (1000, "{t,f,NULL}", "[1,0,null]"),
        (1016, "{9007199254740993,-1}", "[9007199254740993,-1]"),
        (1007, "{{1,2},{3,4}}", "[[1,2],[3,4]]"),
        (1007, "[0:1]={5,6}", "[5,6]"),
        (1022, "{1.5,314,NaN}", "[1.5,314,null]"),
        (1231, "{18014398509481982123,1.5}", "[\"18014398509481982123\",\"1.5\"]"),
        (1001, "{\"\\\\x00\"}", "[null]"),
        (1185, "{\"2023-03-06 15:47:00+02\",infinity}", "[\"2023-03-06 13:47:00Z\",\"9999-12-31 23:59:59Z\"]"),
        (1182, "{2023-01-01,infinity}", "[\"2023-01-01\",\"9999-12-31\"]"),
        (3807, "{\"{\\\"a\\\": 1}\"}", "[\"{\\\"a\\\": 1}\"]"),
    ])
    func mapsArraysToJSONText(oid: UInt32, source: String, expected: String) {
        #expect(PGValueMapper.map(typeOID: oid, text: source) == .text(expected))
    }

    @Test(arguments: ["{a,b", "{\"unterminated}", "{a}}", "nope", "{a,,b}", "[0:1]{1,2}"])
    func keepsMalformedArrayTextAsIs(source: String) {
        #expect(PGValueMapper.map(typeOID: 1009, text: source) == .text(source))
    }

    @Test func jsonLiteralsEscapeAndKeepIntegersExact() {
        #expect(PGJSONValue.integer(9_007_199_254_740_993).jsonLiteral == "9007199254740993")
        #expect(PGJSONValue.real(314).jsonLiteral == "314")
        #expect(PGJSONValue.real(0.1).jsonLiteral == "0.1")
        #expect(PGJSONValue.text("a\"b\\c\u{01}").jsonLiteral == "\"a\\\"b\\\\c\\u0001\"")
        #expect(PGJSONValue.null.jsonLiteral == "null")
    }
}
